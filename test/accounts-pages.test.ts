import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, linkToken, loginCookie, verifiedUser } from './helpers/accounts.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

// Threat: mail scanners and link previewers fetch every link in a mail. A GET of a mailed link must
// not use it up or change anything: the link's page is the web app's page, which only renders; the
// person confirms with a button, and the app POSTs JSON to the API (browser-mail-links.test.ts clicks it).

async function page(t: TestServer, path: string, cookie?: string) {
  const response = await fetch(`${t.url}${path}`, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** The headers of a page that carries a token in its URL. */
function assertSafePage(headers: Headers): void {
  assert.match(headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', 'the token in the URL must not leak to other sites');
  assert.equal(headers.get('x-frame-options'), 'DENY');
  assert.equal(headers.get('cache-control'), 'no-store');
  const csp = headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, 'scripts only from this origin: no inline script, no other site');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
}

describe('the pages mailed links and the CLI open (GET only renders the web app)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('GET /verify-email?token=… three times only renders the app (prefetching changes nothing, the token is not echoed); the link still works', async () => {
    const email = uniqueEmail('prefetch');
    await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } });
    const token = linkToken(await t.mail.waitFor(email), '/verify-email');
    for (let i = 0; i < 3; i++) {
      const view = await page(t, `/verify-email?token=${token}`);
      assert.equal(view.status, 200);
      assertSafePage(view.headers);
      assert.match(view.html, /<div id="root"><\/div>/);
      assert.ok(!view.html.includes(token), 'the token is read by the script, not echoed into the HTML');
    }
    const user = await t.server.ctx.db.selectFrom('users').select('email_verified_at').where('email', '=', email).executeTakeFirstOrThrow();
    assert.equal(user.email_verified_at, null, 'still unverified after three GETs');
    assert.equal((await t.request('POST', '/api/v1/auth/verify-email', { body: { token } })).status, 200, 'and the link still works');
  });

  it('GET /reset-password?token=… leaves the link usable and every session alive', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    const token = linkToken(await t.mail.waitFor(user.email, { after: 1 }), '/reset-password');
    const view = await page(t, `/reset-password?token=${token}`);
    assert.equal(view.status, 200);
    assertSafePage(view.headers);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 200, 'the GET ended no session');
    const reset = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'After-The-Page-View-1' } });
    assert.equal(reset.status, 200, 'the link was not used up by the GET');
  });

  it('GET /device?user_code=… and /invitations/accept?token=… render the app with the same headers, signed in or not, reflecting nothing', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    for (const path of ['/device?user_code=%3Cscript%3Ealert(1)%3C/script%3E', '/invitations/accept?token=abc%3Cscript%3E']) {
      for (const who of [undefined, cookie]) {
        const view = await page(t, path, who);
        assert.equal(view.status, 200, path);
        assertSafePage(view.headers);
        assert.ok(!view.html.includes('<script>alert') && !view.html.includes('abc<script>'), 'the query is not reflected');
      }
    }
  });

  it('the pages are GET only: POSTing to them is a 404 problem, not a state change', async () => {
    for (const path of ['/verify-email', '/reset-password', '/device', '/invitations/accept']) {
      const reply = await t.request('POST', path, { body: { token: 'x' } });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body.error_code, 'NOT_FOUND');
    }
  });
});
