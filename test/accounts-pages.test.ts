import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertOrganization } from '../src/orgs/store.js';
import { GOOD_PASSWORD, linkToken, loginCookie, verifiedUser } from './helpers/accounts.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

// Threat: mail scanners and link previewers fetch every link in a mail. A GET of a mailed link must
// not use it up or change anything; the person confirms, and the page POSTs JSON to the API.

async function page(t: TestServer, path: string, cookie?: string) {
  const response = await fetch(`${t.url}${path}`, { headers: cookie ? { cookie } : {} });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

function assertSafePage(headers: Headers): void {
  assert.match(headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', 'the token in the URL must not leak to other sites');
  assert.equal(headers.get('x-frame-options'), 'DENY');
  assert.equal(headers.get('cache-control'), 'no-store');
  const csp = headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-[A-Za-z0-9_-]+'/);
  assert.match(csp, /frame-ancestors 'none'/);
}

describe('the pages mailed links and the CLI open', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('GET /verify-email?token=… only renders a confirm button (prefetching changes nothing); the button POSTs JSON to the API', async () => {
    const email = uniqueEmail('prefetch');
    await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } });
    const token = linkToken(await t.mail.waitFor(email), '/verify-email');
    for (let i = 0; i < 3; i++) {
      const view = await page(t, `/verify-email?token=${token}`);
      assert.equal(view.status, 200);
      assertSafePage(view.headers);
      assert.match(view.html, /<button type="submit">Confirm my e-mail address<\/button>/);
      assert.match(view.html, /fetch\('\/api\/v1' \+ path, \{ method: 'POST', headers: \{ 'Content-Type': 'application\/json' \}/);
      assert.match(view.html, /post\('\/auth\/verify-email', \{ token: params\.get\('token'\) \}\)/);
      assert.ok(!view.html.includes(token), 'the token is read by the script, not echoed into the HTML');
    }
    const user = await t.server.ctx.db.selectFrom('users').select('email_verified_at').where('email', '=', email).executeTakeFirstOrThrow();
    assert.equal(user.email_verified_at, null, 'still unverified after three GETs');
    assert.equal((await t.request('POST', '/api/v1/auth/verify-email', { body: { token } })).status, 200, 'and the link still works');
  });

  it('GET /reset-password?token=… renders the new-password form and leaves the link usable; without a token it offers to mail a link', async () => {
    const user = await verifiedUser(t);
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    const token = linkToken(await t.mail.waitFor(user.email, { after: 1 }), '/reset-password');
    const view = await page(t, `/reset-password?token=${token}`);
    assert.equal(view.status, 200);
    assertSafePage(view.headers);
    assert.match(view.html, /post\('\/auth\/password\/reset', \{ token: params\.get\('token'\), password \}\)/);
    assert.match(view.html, /post\('\/auth\/password\/forgot'/);
    const reset = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'After-The-Page-View-1' } });
    assert.equal(reset.status, 200, 'the link was not used up by the GET');
  });

  it('GET /device without a session shows a sign-in form (password, then the 2FA code if asked)', async () => {
    const view = await page(t, '/device?user_code=BCDF-GHJK');
    assert.equal(view.status, 200);
    assertSafePage(view.headers);
    assert.match(view.html, /post\('\/auth\/login'/);
    assert.match(view.html, /post\('\/auth\/login\/two-factor'/);
    assert.doesNotMatch(view.html, /id="decide"/);
  });

  it('GET /device signed in lists my organizations (escaped) to pick from, with Approve and Deny buttons that POST to the API', async () => {
    const user = await verifiedUser(t);
    await insertOrganization(t.server.ctx.db, Date.now(), { name: '<img src=x onerror=alert(1)> & Co', slug: `pages-${user.id.slice(-6).toLowerCase()}`, ownerId: user.id });
    const cookie = await loginCookie(t, user.email);
    const view = await page(t, '/device?user_code=%3Cscript%3Ealert(1)%3C/script%3E', cookie);
    assert.equal(view.status, 200);
    assertSafePage(view.headers);
    assert.match(view.html, /&lt;img src=x onerror=alert\(1\)&gt; &amp; Co/);
    assert.ok(!view.html.includes('<img src=x'), 'organization names are escaped');
    assert.ok(!view.html.includes('<script>alert'), 'the query is not reflected');
    assert.match(view.html, /post\('\/auth\/device\/approve', \{ user_code: input\.value, organization_id: document\.getElementById\('org'\)\.value \}\)/);
    assert.match(view.html, /post\('\/auth\/device\/deny'/);
    assert.ok(view.html.includes(user.email));
  });

  it('the pages are GET only: POSTing to them is a 404 problem, not a state change', async () => {
    for (const path of ['/verify-email', '/reset-password', '/device']) {
      const reply = await t.request('POST', path, { body: { token: 'x' } });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body.error_code, 'NOT_FOUND');
    }
  });
});
