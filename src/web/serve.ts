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
