import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ReceivedMail } from './mailtrap.js';
import { startTestServer, type TestServer } from './server.js';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). No browser is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium on a fresh temporary profile. Fails loudly (never skips) when Chromium is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run installs it)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface PageOptions {
  /** The server's origin: a request anywhere else is recorded as a problem (the app must work offline). */
  origin?: string;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Where to record problems (default: a new list, returned). */
  problems?: string[];
}

/**
 * A page in its own browser context (own cookies), recording what would break the page for a person:
 * uncaught script errors, console errors (CSP violations are reported there), requests that got no
 * answer, and requests to any other origin than `origin`. Chromium's "Failed to load resource" line for
 * an API refusal (4xx) is not one: the tests read what the page shows instead.
 */
export async function openPage(browser: Browser, options: PageOptions = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = options.problems ?? [];
  watchPage(page, problems, options.origin);
  return { context, page, problems };
}

/** Records a page's script errors, console errors, failed requests and requests to other origins into `problems`. */
export function watchPage(page: Page, problems: string[], origin?: string): void {
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('requestfailed', (request) => {
    // A navigation away cancels the previous page's pending fetches: that is not a failure a person sees.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED')
      problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`);
  });
  if (origin) {
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== origin) problems.push(`request to another origin: ${request.url()}`);
    });
  }
}

/** Is this port free on 127.0.0.1 right now? */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * The test server on a port known before it starts, with PUBLIC_URL naming that very address: the
 * mailed links then open this server in the browser, and the pages' Origin is PUBLIC_URL's. The port
 * is picked below the kernel's ephemeral range, where the other tests' servers (PORT=0) never land.
 * `hostname` names the server in PUBLIC_URL (`localhost` where the page needs a domain, as WebAuthn does).
 */
export async function startBrowsableServer(settings: Record<string, string> = {}, hostname = '127.0.0.1'): Promise<TestServer> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(20_000, 32_000);
    if (!(await portIsFree(port))) continue;
    return startTestServer({ PORT: String(port), PUBLIC_URL: `http://${hostname}:${port}`, ...settings });
  }
  throw new Error('found no free port between 20000 and 32000 on 127.0.0.1');
}

/** The full URL of the link to `path` in a mail, exactly as the person would click it. */
export function mailedLink(mail: ReceivedMail, path: '/verify-email' | '/reset-password'): string {
  const match = new RegExp(`https?://[^\\s/]+${path}\\?token=[A-Za-z0-9_%-]+`).exec(mail.text);
  if (!match) throw new Error(`no ${path} link in mail: ${mail.text}`);
  return match[0];
}
