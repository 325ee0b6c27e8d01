import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, loginCookie, sessionCookieOf, verifiedUser } from './helpers/accounts.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

const MINUTE = 60_000;
const IDLE = 10 * MINUTE;
const MAX_AGE = 30 * MINUTE;

async function alive(t: TestServer, cookie: string): Promise<boolean> {
  const reply = await t.request('GET', '/api/v1/auth/session', { cookie });
  assert.ok(reply.status === 200 || reply.status === 401, `status ${reply.status}`);
  return reply.status === 200;
}

describe('sessions: cookie, expiry, renewal, revocation', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_SESSION_IDLE_TIMEOUT: '10m', FUNCSPEC_SESSION_MAX_AGE: '30m' });
  });
  after(() => t.close());

  it('the cookie has the §4 attributes: funcspec_session, HttpOnly, SameSite=Lax, Path=/, no Secure on http; ≥128 random bits, stored only hashed', async () => {
    const user = await verifiedUser(t);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    const [setCookie, ...more] = login.headers.getSetCookie();
    assert.deepEqual(
      more.map((c) => c.split('=')[0]),
      ['funcspec_device'],
      'besides the session, only the known-device cookie',
    );
    const parts = setCookie!.split(';').map((p) => p.trim());
    const [name, value] = parts[0]!.split('=') as [string, string];
    assert.equal(name, 'funcspec_session');
    assert.match(value, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url (256 bits)');
    const attributes = parts.slice(1).map((p) => p.toLowerCase());
    assert.ok(attributes.includes('httponly'), setCookie);
    assert.ok(attributes.includes('samesite=lax'), setCookie);
    assert.ok(attributes.includes('path=/'), setCookie);
    assert.ok(!attributes.includes('secure'), 'no Secure over plain http');
    assert.ok(!attributes.some((a) => a.startsWith('domain=')), 'host-only');

    const rows = await t.server.ctx.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(value), 'the token itself is not stored');
    assert.equal(rows[0]!.id, login.body.data.session.id);
  });

  it('a new token at every login; logging in again from a browser ends its previous session', async () => {
    const user = await verifiedUser(t);
    const a = await loginCookie(t, user.email);
    const b = await loginCookie(t, user.email);
    assert.notEqual(a, b);
    assert.ok(await alive(t, a));
    assert.ok(await alive(t, b));
    const replaced = await t.request('POST', '/api/v1/auth/login', { cookie: a, body: { email: user.email, password: user.password } });
    const c = sessionCookieOf(replaced);
    assert.notEqual(c, a);
    assert.equal(await alive(t, a), false, 'the cookie the browser sent along is dead');
    assert.ok(await alive(t, c));
  });

  it('idle expiry: no request for longer than FUNCSPEC_SESSION_IDLE_TIMEOUT ends the session', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    t.clock.advance(IDLE - 1000);
    assert.ok(await alive(t, cookie), 'still alive just before the idle timeout');
    t.clock.advance(IDLE + 1);
    assert.equal(await alive(t, cookie), false);
  });

  it('activity keeps a session alive past the idle timeout, until the absolute age (FUNCSPEC_SESSION_MAX_AGE) ends it', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    // A request every 7 minutes (idle limit 10): alive at 7, 14, 21, 28 minutes — long past one idle period.
    for (let i = 0; i < 4; i++) {
      t.clock.advance(7 * MINUTE);
      assert.ok(await alive(t, cookie), `alive after ${(i + 1) * 7} minutes of activity`);
    }
    const session = await t.request('GET', '/api/v1/auth/session', { cookie });
    const endsAt = Date.parse(session.body.data.session.expires_at);
    assert.ok(Math.abs(endsAt - (t.clock.now() - 28 * MINUTE + MAX_AGE)) < 2000, 'expires_at is now the absolute end');
    t.clock.advance(2 * MINUTE + 1000); // 30 min + 1 s since login, only 2 minutes since the last request
    assert.equal(await alive(t, cookie), false, 'absolute age ends it whatever the activity');
  });

  it('the activity stamp is written at most once per 1/1440 of the idle timeout, not on every request', async () => {
    const user = await verifiedUser(t);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    const cookie = sessionCookieOf(login);
    const lastSeen = async () =>
      (await t.server.ctx.db.selectFrom('sessions').select('last_seen_at').where('id', '=', login.body.data.session.id).executeTakeFirstOrThrow()).last_seen_at;
    const stamp = await lastSeen();
    t.clock.advance(100); // well inside the 416 ms renewal interval of a 10-minute timeout
    for (let i = 0; i < 5; i++) assert.ok(await alive(t, cookie));
    assert.equal(await lastSeen(), stamp, 'no write for requests inside the interval');
    t.clock.advance(1000);
    assert.ok(await alive(t, cookie));
    assert.ok((await lastSeen()) > stamp, 'renewed once the interval passed');
  });

  it('logout kills the session server-side: the same cookie is refused on the next request', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const logout = await t.request('POST', '/api/v1/auth/logout', { cookie });
    assert.equal(logout.status, 204);
    assert.ok(
      logout.headers.getSetCookie().some((c) => c.startsWith('funcspec_session=;')),
      'the browser is told to drop the cookie',
    );
    const refused = await t.request('GET', '/api/v1/auth/session', { cookie });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error_code, 'UNAUTHORIZED');
    assert.equal((await t.request('POST', '/api/v1/auth/logout', { cookie })).status, 401);
  });

  it("list and revoke own sessions: a revoked session is refused at once; another user's session is a 404", async () => {
    const user = await verifiedUser(t);
    const laptop = await loginCookie(t, user.email);
    const phone = await loginCookie(t, user.email);
    const list = await t.request('GET', '/api/v1/auth/sessions', { cookie: laptop });
    assert.equal(list.status, 200);
    assert.equal(list.body.meta.total, 2);
    assert.deepEqual(list.body.meta, { total: 2, page: 1, per: 25 });
    const current = list.body.data.find((s: { current: boolean }) => s.current);
    const other = list.body.data.find((s: { current: boolean }) => !s.current);
    assert.ok(current && other);
    assert.equal(other.ip, '127.0.0.1');

    const stranger = await verifiedUser(t);
    const strangerCookie = await loginCookie(t, stranger.email);
    const foreign = await t.request('DELETE', `/api/v1/auth/sessions/${other.id}`, { cookie: strangerCookie });
    assert.equal(foreign.status, 404);
    assert.ok(await alive(t, phone), 'nothing happened to it');

    assert.equal((await t.request('DELETE', `/api/v1/auth/sessions/${other.id}`, { cookie: laptop })).status, 204);
    assert.equal(await alive(t, phone), false, 'the revoked session is refused');
    assert.ok(await alive(t, laptop));
    assert.equal((await t.request('DELETE', `/api/v1/auth/sessions/${other.id}`, { cookie: laptop })).status, 404);
  });

  it("a disabled user's sessions stop working on the next request", async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    await t.server.ctx.db.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', user.id).execute();
    assert.equal(await alive(t, cookie), false);
  });

  it('malformed and forged cookies are refused like a missing one', async () => {
    for (const cookie of ['funcspec_session=', 'funcspec_session=abc', `funcspec_session=${'A'.repeat(43)}`, `funcspec_session=${'A'.repeat(5000)}`]) {
      const reply = await t.request('GET', '/api/v1/auth/session', { cookie });
      assert.equal(reply.status, 401, cookie.slice(0, 40));
      assert.equal(reply.body.error_code, 'UNAUTHORIZED');
    }
  });

  it('a session route does not take an API key; /me takes either', async () => {
    const { key } = await agentKey(t);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { key })).status, 401);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200);
  });
});

describe('CSRF: the Origin rule on cookie-authenticated state changes', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ PUBLIC_URL: 'http://funcspec.test:8080' });
  });
  after(() => t.close());

  it("threat: a cross-site page POSTs with the victim's cookie — 403 CSRF_REJECTED and nothing changes", async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    for (const origin of ['https://evil.example', 'http://funcspec.test:8081', 'https://funcspec.test:8080', 'null', 'garbage']) {
      const reply = await t.request('POST', '/api/v1/auth/logout', { cookie, headers: { origin } });
      assert.equal(reply.status, 403, origin);
      assert.equal(reply.body.error_code, 'CSRF_REJECTED');
      assert.equal(reply.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const change = await t.request('POST', '/api/v1/auth/password/change', {
        cookie,
        headers: { origin },
        body: { current_password: user.password, new_password: 'Another-Long-Phrase-77' },
      });
      assert.equal(change.status, 403, origin);
    }
    const list = await t.request('GET', '/api/v1/auth/sessions', { cookie });
    assert.equal(list.body.meta.total, 1, 'the session is still there');
    assert.equal(
      (await t.request('DELETE', `/api/v1/auth/sessions/${list.body.data[0].id}`, { cookie, headers: { origin: 'https://evil.example' } })).status,
      403,
    );
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 200, 'still signed in');
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    assert.equal(login.status, 200, 'the password did not change');
  });

  it("the same request from PUBLIC_URL's origin, or without Origin (non-browser clients), goes through", async () => {
    const user = await verifiedUser(t);
    const a = await loginCookie(t, user.email);
    assert.equal((await t.request('POST', '/api/v1/auth/logout', { cookie: a, headers: { origin: 'http://funcspec.test:8080' } })).status, 204);
    const b = await loginCookie(t, user.email);
    assert.equal((await t.request('POST', '/api/v1/auth/logout', { cookie: b })).status, 204);
  });

  it('reads are not state changes: a GET with a foreign Origin is answered', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie, headers: { origin: 'https://evil.example' } })).status, 200);
  });

  it('no login CSRF: a cross-site login POST is refused and sets no cookie', async () => {
    const user = await verifiedUser(t);
    const reply = await t.request('POST', '/api/v1/auth/login', {
      headers: { origin: 'https://evil.example' },
      body: { email: user.email, password: user.password },
    });
    assert.equal(reply.status, 403);
    assert.equal(reply.body.error_code, 'CSRF_REJECTED');
    assert.deepEqual(reply.headers.getSetCookie(), []);
  });

  it('API keys are not ambient credentials: a key request with a foreign Origin is not a CSRF case', async () => {
    const { key } = await agentKey(t);
    const reply = await t.request('GET', '/api/v1/me', { key, headers: { origin: 'https://evil.example' } });
    assert.equal(reply.status, 200);
  });
});

describe('sessions under an https PUBLIC_URL', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ PUBLIC_URL: 'https://funcspec.example' });
  });
  after(() => t.close());

  it('the cookie is __Host-funcspec_session with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain, and it authenticates', async () => {
    const user = await verifiedUser(t);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: GOOD_PASSWORD } });
    const setCookie = login.headers.getSetCookie()[0]!;
    const attributes = setCookie
      .split(';')
      .slice(1)
      .map((p) => p.trim().toLowerCase());
    assert.match(setCookie, /^__Host-funcspec_session=[A-Za-z0-9_-]{43};/);
    for (const attribute of ['secure', 'httponly', 'samesite=lax', 'path=/']) assert.ok(attributes.includes(attribute), `${attribute} in ${setCookie}`);
    assert.ok(!attributes.some((a) => a.startsWith('domain=')));
    const cookie = sessionCookieOf(login, '__Host-funcspec_session');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 200);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: cookie.replace('__Host-', '') })).status, 401, 'the plain name is not read');
    assert.equal(
      (await t.request('POST', '/api/v1/auth/logout', { cookie, headers: { origin: 'http://funcspec.example' } })).status,
      403,
      'http is another origin',
    );
    assert.equal((await t.request('POST', '/api/v1/auth/logout', { cookie, headers: { origin: 'https://funcspec.example' } })).status, 204);
  });
});
