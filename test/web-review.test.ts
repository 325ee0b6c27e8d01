import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { createItem, createProject } from './helpers/orgs.js';
import { uniqueEmail } from './helpers/server.js';
import { startWebRig, type WebRig } from './helpers/web.js';

// Every main page of the web app, for people to review and for machines to check: an accessibility
// audit (axe-core, WCAG 2.1 A and AA) with no serious or critical violation, in light and dark mode,
// and screenshots at 360 px and 1440 px in both, written to test-results/web-screenshots/ with an
// index.html that shows each page's four pictures side by side.

export const SCREENSHOTS = path.resolve('test-results/web-screenshots');
const WIDTHS = [360, 1440] as const;
const SCHEMES = ['light', 'dark'] as const;

interface MainPage {
  name: string;
  path: string;
  signedIn: boolean;
  /** Something on the page once it has loaded its data (its main heading, usually). */
  ready: { role: 'heading' | 'table' | 'img'; name: string | RegExp };
  /** Audited with axe here (the API reference is Swagger UI's markup, photographed but not ours to audit). */
  audit?: false;
}

describe('web app: every main page passes axe-core and is photographed at 360 px and 1440 px, light and dark', () => {
  let rig: WebRig;
  const pages: MainPage[] = [];
  const contexts: Record<(typeof SCHEMES)[number], { context: BrowserContext; page: Page; visitor: Page }> = {} as never;

  before(async () => {
    rig = await startWebRig();
    const { t } = rig;
    const owner = await verifiedUser(t, uniqueEmail('web-review'));
    const cookie = await loginCookie(t, owner.email);
    await t.request('PATCH', '/api/v1/auth/profile', { cookie, body: { name: 'Ada Reviewer' } });
    const org = (await t.request('POST', '/api/v1/organizations', { cookie, body: { name: 'Review Works', slug: 'review-works' } })).body.data;
    const project = await createProject(t, { cookie }, { name: 'Checkout', description: 'Paying for an order', organization_id: org.id });
    await createItem(t, { cookie }, project.id, {
      title: 'Pay by card',
      description: '# Pay by card\n\nThe customer pays with a **card**.\n\n- Visa\n- Mastercard',
      tags: ['payments'],
      priority: 'high',
    });
    await createItem(t, { cookie }, project.id, { type_of: 'technical', title: 'Card tokens are never stored', tags: ['security'] });
    const key = (await t.request('POST', `/api/v1/organizations/${org.slug}/api-keys`, { cookie, body: { name: 'CI deploy' } })).body.data.key;
    for (let i = 0; i < 5; i++) await t.request('GET', '/api/v1/me', { headers: { 'X-API-Key': key } });
    await t.request('POST', `/api/v1/organizations/${org.slug}/invitations`, { cookie, body: { email: uniqueEmail('web-review-invitee'), role: 'member' } });
    const [name, value] = cookie.split('=') as [string, string];

    const heading = (text: string | RegExp) => ({ role: 'heading' as const, name: text });
    pages.push(
      { name: 'sign-in', path: '/', signedIn: false, ready: heading('Log in to FuncSpec') },
      { name: 'sign-up', path: '/sign-up', signedIn: false, ready: heading('Create your FuncSpec account') },
      { name: 'verify-email', path: '/verify-email?token=review', signedIn: false, ready: heading('Confirm your e-mail address') },
      { name: 'forgot-password', path: '/reset-password', signedIn: false, ready: heading('Reset your password') },
      { name: 'reset-password', path: '/reset-password?token=review', signedIn: false, ready: heading('Reset your password') },
      { name: 'invitation', path: '/invitations/accept?token=review', signedIn: false, ready: heading("You're invited to FuncSpec") },
      { name: 'not-found', path: '/no/such/page', signedIn: false, ready: heading('Page not found') },
      { name: 'api-docs', path: '/docs/', signedIn: false, ready: heading(/^FuncSpec API/), audit: false },
      { name: 'device', path: '/device?user_code=BCDF-GHJK', signedIn: true, ready: heading('Connect the FuncSpec CLI') },
      { name: 'organization', path: `/orgs/${org.slug}`, signedIn: true, ready: heading('Review Works') },
      { name: 'account-settings', path: '/account', signedIn: true, ready: heading('Sessions') },
      { name: 'org-general', path: `/orgs/${org.slug}/settings`, signedIn: true, ready: heading('General') },
      { name: 'org-members', path: `/orgs/${org.slug}/settings/members`, signedIn: true, ready: { role: 'table', name: 'Pending invitations' } },
      { name: 'org-api-keys', path: `/orgs/${org.slug}/settings/api-keys`, signedIn: true, ready: { role: 'table', name: 'API keys' } },
      { name: 'org-usage', path: `/orgs/${org.slug}/settings/usage`, signedIn: true, ready: { role: 'img', name: /^Chart of requests/ } },
      { name: 'org-security', path: `/orgs/${org.slug}/settings/security`, signedIn: true, ready: heading('Allowed IPs') },
      { name: 'org-audit-log', path: `/orgs/${org.slug}/settings/audit-log`, signedIn: true, ready: { role: 'table', name: 'Audit log entries' } },
      { name: 'org-billing', path: `/orgs/${org.slug}/settings/billing`, signedIn: true, ready: { role: 'table', name: 'Credit ledger' } },
      { name: 'project-items', path: `/projects/${project.id}`, signedIn: true, ready: { role: 'table', name: 'Spec items' } },
      { name: 'item', path: `/projects/${project.id}/items/F-1`, signedIn: true, ready: heading('F-1 Pay by card') },
      { name: 'new-item', path: `/projects/${project.id}/items/new`, signedIn: true, ready: heading('New item') },
      { name: 'project-settings', path: `/projects/${project.id}/settings`, signedIn: true, ready: heading('Team') },
    );
    for (const scheme of SCHEMES) {
      const signedIn = await rig.open({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
      await signedIn.context.addCookies([{ name, value, url: t.url, httpOnly: true, sameSite: 'Lax' }]);
      const visitor = await rig.open({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
      contexts[scheme] = { context: signedIn.context, page: signedIn.page, visitor: visitor.page };
    }
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(() => rig?.close());

  async function visit(page: Page, main: MainPage): Promise<void> {
    await page.goto(`${rig.t.url}${main.path}`);
    await page
      .getByRole(main.ready.role, { name: main.ready.name, exact: typeof main.ready.name === 'string' })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.locator('.loading').first().waitFor({ state: 'detached' });
  }

  it('axe-core (WCAG 2.1 A and AA): no serious or critical violation on any main page, light or dark', async () => {
    const found: string[] = [];
    for (const scheme of SCHEMES) {
      for (const main of pages.filter((p) => p.audit !== false)) {
        const page = main.signedIn ? contexts[scheme].page : contexts[scheme].visitor;
        await page.setViewportSize({ width: 1440, height: 900 });
        await visit(page, main);
        const results = await new AxeBuilder({ page: page as never }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        for (const violation of results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
          found.push(
            `${main.name} (${scheme}): ${violation.id} — ${violation.help}: ${violation.nodes
              .map((n) => n.target.join(' '))
              .slice(0, 3)
              .join('; ')}`,
          );
        }
      }
    }
    assert.deepEqual(found, []);
    rig.assertNoProblems();
  });

  it('screenshots of every main page at 360 px and 1440 px, light and dark, with an index.html that shows them side by side', async () => {
    const rows: string[] = [];
    for (const main of pages) {
      const cells: string[] = [];
      for (const width of WIDTHS) {
        for (const scheme of SCHEMES) {
          const page = main.signedIn ? contexts[scheme].page : contexts[scheme].visitor;
          await page.setViewportSize({ width, height: width === 360 ? 780 : 900 });
          await visit(page, main);
          const file = `${main.name}-${width}-${scheme}.png`;
          await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true, animations: 'disabled' });
          const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          assert.ok((overflow as number) <= 0, `${file}: the page scrolls sideways by ${overflow} px`);
          cells.push(`<td><a href="${file}"><img src="${file}" alt="${main.name} at ${width} px, ${scheme}" loading="lazy"></a></td>`);
        }
      }
      rows.push(`<tr><th scope="row">${main.name}<br><code>${main.path}</code></th>${cells.join('')}</tr>`);
    }
    const head = WIDTHS.flatMap((w) => SCHEMES.map((s) => `<th scope="col">${w} px, ${s}</th>`)).join('');
    writeFileSync(
      path.join(SCREENSHOTS, 'index.html'),
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>FuncSpec web app: every main page</title>
<style>body{font:14px system-ui,sans-serif;margin:1rem}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.5rem;vertical-align:top;text-align:left}
td img{max-width:320px;max-height:480px;display:block}th[scope=row]{white-space:nowrap}</style>
<h1>FuncSpec web app: every main page</h1><p>Written by test/web-review.test.ts. Click a picture for the full size.</p>
<table><thead><tr><th>page</th>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></html>\n`,
    );
    rig.assertNoProblems();
  });
});
