import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, openPage, startBrowsableServer } from './browser.js';
import type { TestServer } from './server.js';

// The web app's browser tests: one server and one Chromium per file, pages opened in their own
// contexts, and everything a person would notice (script errors, console errors, CSP violations,
// requests to another origin) collected and asserted empty at the end of each step.

export interface WebRig {
  t: TestServer;
  /** PUBLIC_URL: where the pages are opened (t.url names the same server by its address). */
  origin: string;
  browser: Browser;
  /** A fresh browser context (own cookies) with one page on the app. */
  open(options?: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page }>;
  /** Asserts nothing went wrong in any page opened so far, and forgets what was seen. */
  assertNoProblems(): void;
  close(): Promise<void>;
}

export async function startWebRig(settings: Record<string, string> = {}, hostname?: string): Promise<WebRig> {
  // Both start at once; if one fails, the other is closed, or its open handles would keep the file's
  // process alive forever instead of failing it.
  const [server, chromium] = await Promise.allSettled([startBrowsableServer(settings, hostname), launchChromium()]);
  if (server.status === 'rejected' || chromium.status === 'rejected') {
    if (server.status === 'fulfilled') await server.value.close();
    if (chromium.status === 'fulfilled') await chromium.value.close();
    throw server.status === 'rejected' ? server.reason : (chromium as PromiseRejectedResult).reason;
  }
  const t = server.value;
  const browser = chromium.value;
  const origin = t.env.PUBLIC_URL ?? t.url;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    t,
    origin,
    browser,
    async open(options = {}) {
      const opened = await openPage(browser, { origin, problems, ...options });
      // CI shares two cores with the databases and other suites: a step may wait longer than a person would.
      opened.page.setDefaultTimeout(20_000);
      contexts.push(opened.context);
      return { context: opened.context, page: opened.page };
    },
    assertNoProblems() {
      const seen = problems.splice(0);
      assert.deepEqual(seen, [], 'no script error, console error, CSP violation, failed request or request to another origin');
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await t.close();
    },
  };
}

/** What the page says after an action: a success (role status) or a refusal (role alert), whichever comes first. */
export async function saysAfter(page: Page): Promise<{ text: string; ok: boolean }> {
  const said = page.locator('[role=status].alert, [role=alert]').filter({ hasText: /\S/ }).first();
  await said.waitFor();
  return { text: ((await said.textContent()) ?? '').trim(), ok: (await said.getAttribute('role')) === 'status' };
}

/** The app's sign-in form: e-mail and password, then the code when two-factor is on. */
export async function logIn(page: Page, email: string, password: string, code?: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  if (code !== undefined) {
    await page.getByRole('textbox', { name: 'Authentication code' }).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
  }
}

/** Opens the user menu and picks an entry (a link or a button). */
export async function userMenu(page: Page, entry: 'Account Settings' | 'Log out'): Promise<void> {
  await page.getByRole('button', { name: 'Your account' }).click();
  const link = page.getByRole('link', { name: entry });
  await ((await link.count()) > 0 ? link : page.getByRole('button', { name: entry })).click();
}

/** The body rows of the tables in `scope` (a table, or a region holding one), as arrays of cell texts. */
export async function tableRows(scope: Page | ReturnType<Page['locator']>): Promise<string[][]> {
  const rows = scope.locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator('td, th').allTextContents()).map((s) => s.trim()));
  return out;
}
