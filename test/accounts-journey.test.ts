import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, linkToken, sessionCookieOf, signUpCookieOf, totpAt } from './helpers/accounts.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

describe('web accounts: the whole journey', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('sign-up → mail → link → login → enable TOTP (code from an independent RFC 6238 implementation) → logout → login needs the code → a recovery code works once', async () => {
    const email = uniqueEmail('journey');

    // Sign-up: 202 and a verification mail with PUBLIC_URL/verify-email?token=…
    const signUp = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD, name: 'Ada' } });
    assert.equal(signUp.status, 202, JSON.stringify(signUp.body));
    const mail = await t.mail.waitFor(email);
    assert.match(mail.text, new RegExp(`${t.server.ctx.config.publicUrl}/verify-email\\?token=`));
    const token = linkToken(mail, '/verify-email');

    // Before the link: the right password gets EMAIL_NOT_VERIFIED.
    const early = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(early.status, 403);
    assert.equal(early.body.error_code, 'EMAIL_NOT_VERIFIED');

    // The page the link opens changes nothing by itself; the confirm button POSTs the token.
    const page = await fetch(`${t.url}/verify-email?token=${encodeURIComponent(token)}`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const verified = await t.request('POST', '/api/v1/auth/verify-email', { body: { token }, cookie: signUpCookieOf(signUp) });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body.data.user.email, email);
    assert.equal(verified.body.data.user.name, 'Ada');
    assert.ok(verified.body.data.user.email_verified_at);
    assert.equal(verified.body.data.password_set, true, 'used in the browser that signed up, the link activates its password');

    // Login: a session cookie and {user, session}.
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.data.user.email, email);
    assert.match(login.body.data.session.id, /^ses_/);
    const cookie = sessionCookieOf(login);
    const me = await t.request('GET', '/api/v1/auth/session', { cookie });
    assert.equal(me.status, 200);
    assert.equal(me.body.data.user.two_factor_enabled, false);
    assert.equal((await t.request('GET', '/api/v1/me', { cookie })).body.data.auth, 'session');

    // Enable TOTP with a code computed from the returned secret by the test's own RFC 6238 generator.
    const setup = await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password: GOOD_PASSWORD } });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    const { secret, otpauth_uri, qr_code } = setup.body.data;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(otpauth_uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.match(qr_code, /^data:image\/png;base64,/);
    const enable = await t.request('POST', '/api/v1/auth/two-factor/enable', { cookie, body: { code: totpAt(secret, t.clock.now()) } });
    assert.equal(enable.status, 200, JSON.stringify(enable.body));
    const recoveryCodes: string[] = enable.body.data.recovery_codes;
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);

    // Logout kills the session server-side: the same cookie is refused afterwards.
    const logout = await t.request('POST', '/api/v1/auth/logout', { cookie });
    assert.equal(logout.status, 204);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 401);

    // Login now needs the code: the password gives a challenge and no cookie.
    const first = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.body.data).sort(), ['challenge_token', 'methods', 'two_factor_required']);
    assert.deepEqual(first.body.data.methods, ['totp']);
    assert.equal(first.body.data.two_factor_required, true);
    assert.deepEqual(first.headers.getSetCookie(), []);
    t.clock.advance(30_000); // the enabling code's step is used up; take the next one
    const second = await t.request('POST', '/api/v1/auth/login/two-factor', {
      body: { challenge_token: first.body.data.challenge_token, code: totpAt(secret, t.clock.now()) },
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.data.user.two_factor_enabled, true);
    const totpCookie = sessionCookieOf(second);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: totpCookie })).status, 200);

    // A recovery code works once.
    const signInWithRecoveryCode = async () => {
      const challenge = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
      return t.request('POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: challenge.body.data.challenge_token, code: recoveryCodes[0] } });
    };
    const recovered = await signInWithRecoveryCode();
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: sessionCookieOf(recovered) })).status, 200);
    const again = await signInWithRecoveryCode();
    assert.equal(again.status, 401);
    assert.equal(again.body.error_code, 'TWO_FACTOR_INVALID');
  });
});
