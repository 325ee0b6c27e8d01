import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Api } from '../http/types.js';

// The web app is a single-page app built by Vite (web/) into dist/public. This serves its files and
// answers every other page GET with index.html, so /device, /verify-email and deep links load the app.
// Nothing here runs on /api routes: the headers are set per file and in the page fallback only.

/** dist/public, from src/web (tsx) and from dist/web (compiled) alike. */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/public/', import.meta.url));

/**
 * Headers for every page and asset. No inline script or style, nothing from another origin; the pages
 * carry tokens in their URLs (verification, reset, invitation), so no Referrer leaves and no frame holds them.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
    "manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** Vite names built assets by content hash: they never change, so browsers may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface WebApp {
  /** Should this unmatched request get the app's page (a browser navigating) rather than a JSON 404? */
  wantsPage(request: FastifyRequest): boolean;
  sendPage(reply: FastifyReply): FastifyReply;
}

export async function webApp(app: Api, ctx: AppContext, root = WEB_ROOT): Promise<WebApp> {
  const indexFile = `${root}index.html`;
  const built = existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false, // one route per built file, found at start-up: no file-system lookup for other paths
      index: false,
      serveDotFiles: false,
      setHeaders: (reply, filePath) => {
        reply.headers(PAGE_HEADERS).header('cache-control', filePath.startsWith(`${root}assets/`) ? IMMUTABLE : 'public, max-age=3600');
      },
    });
  } else {
    ctx.log.warn(`the web app is not built (no ${indexFile}): run npm run build`);
  }
  const index = built ? readFileSync(indexFile) : null;
  return {
    wantsPage(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      if (request.url.startsWith('/api/')) return false;
      const accept = request.headers.accept;
      return typeof accept === 'string' && accept.includes('text/html');
    },
    sendPage(reply) {
      if (!index) return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built: run npm run build.\n');
      // index.html names the current hashed bundles: never cached, so a deploy is picked up at once.
      return reply.code(200).headers(PAGE_HEADERS).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(index);
    },
  };
}

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="178" height="32" viewBox="0 0 178 32" role="img" aria-label="FuncSpec API: back to the app">
<rect width="32" height="32" rx="7" fill="#ffffff"/><path d="M10 8h12v3.2h-8.4v3.6h7.4V18h-7.4v6H10z" fill="#4338ca"/>
<text x="42" y="22" font-family="system-ui, sans-serif" font-size="18" font-weight="700" fill="#ffffff">FuncSpec API</text></svg>`;

/** The API reference at /docs wears the product's name and colours, and its logo leads back to the app. */
export const docsLook = {
  logo: { type: 'image/svg+xml', content: Buffer.from(LOGO), href: '/', target: '_self' as const },
  theme: {
    title: 'FuncSpec API reference',
    js: [
      {
        filename: 'back-to-app.js',
        // Swagger UI draws its top bar late; once it is there, its logo link leads to the app.
        content:
          'new MutationObserver((_, observer) => { const link = document.querySelector(".topbar-wrapper a"); if (!link) return;' +
          ' link.href = "/"; link.setAttribute("aria-label", "FuncSpec: back to the app"); observer.disconnect(); })' +
          '.observe(document.documentElement, { childList: true, subtree: true });',
      },
    ],
    favicon: [
      {
        filename: 'favicon.svg',
        rel: 'icon',
        sizes: 'any',
        type: 'image/svg+xml',
        content: Buffer.from(
          LOGO.replace(/<text[\s\S]*<\/text>/, '')
            .replace('width="178"', 'width="32"')
            .replace('viewBox="0 0 178 32"', 'viewBox="0 0 32 32"'),
        ),
      },
    ],
    css: [
      {
        filename: 'funcspec.css',
        content:
          'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f7f7fb}' +
          '.swagger-ui .topbar{background:#4338ca;padding:8px 0}.swagger-ui .topbar .download-url-wrapper{display:none}' +
          '.swagger-ui .topbar a{max-width:none}.swagger-ui .info .title{color:#181a23}' +
          '.swagger-ui .opblock-tag,.swagger-ui .info,.swagger-ui .scheme-container{font-family:inherit}' +
          '.swagger-ui .btn.authorize{color:#4338ca;border-color:#4338ca}.swagger-ui .btn.authorize svg{fill:#4338ca}',
      },
    ],
  },
};
