import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, linkToken, nextStep, sessionCookieOf, signUpCookieOf, totpAt } from './helpers/accounts.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

describe('audit log of account events', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('sign-up, verification, logins and their failures, password and 2FA changes are recorded with IP and outcome — and no secret', async () => {
    const email = uniqueEmail('audited');
    const secrets: string[] = [GOOD_PASSWORD];
    const request = (method: string, path: string, body?: unknown, cookie?: string) =>
      t.request(method, `/api/v1${path}`, { body, cookie, headers: { 'user-agent': 'audit-test/1.0' } });

    const signUp = await request('POST', '/auth/sign-up', { email, password: GOOD_PASSWORD });
    const verifyToken = linkToken(await t.mail.waitFor(email), '/verify-email');
    secrets.push(verifyToken);
    const browser = signUpCookieOf(signUp);
    secrets.push(browser.split('=')[1]!);
    await request('POST', '/auth/verify-email', { token: verifyToken }, browser);
    await request('POST', '/auth/login', { email, password: 'Wrong-Password-Here-1' });
    const login = await request('POST', '/auth/login', { email, password: GOOD_PASSWORD });
    const cookie = sessionCookieOf(login);
    secrets.push(cookie.split('=')[1]!);

    const setup = await request('POST', '/auth/two-factor/setup', { password: GOOD_PASSWORD }, cookie);
    secrets.push(setup.body.data.secret);
    const enableCode = totpAt(setup.body.data.secret, t.clock.now());
    const enabled = await request('POST', '/auth/two-factor/enable', { code: enableCode }, cookie);
    secrets.push(...enabled.body.data.recovery_codes);
    nextStep(t);
    const challenge = await request('POST', '/auth/login', { email, password: GOOD_PASSWORD });
    secrets.push(challenge.body.data.challenge_token);
    const code = totpAt(setup.body.data.secret, t.clock.now());
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await request('POST', '/auth/login/two-factor', { challenge_token: challenge.body.data.challenge_token, code: wrong });
    await request('POST', '/auth/login/two-factor', { challenge_token: challenge.body.data.challenge_token, code });
    await request('POST', '/auth/password/change', { current_password: GOOD_PASSWORD, new_password: 'Changed-Phrase-Now-2' }, cookie);
    secrets.push('Changed-Phrase-Now-2');
    nextStep(t);
    await request('POST', '/auth/two-factor/disable', { password: 'Changed-Phrase-Now-2', code: totpAt(setup.body.data.secret, t.clock.now()) }, cookie);
    await request('POST', '/auth/password/forgot', { email });
    const resetToken = linkToken(await t.mail.waitFor(email, { after: 1 }), '/reset-password');
    secrets.push(resetToken);
    await request('POST', '/auth/password/reset', { token: resetToken, password: 'Reset-Phrase-Now-3' });
    secrets.push('Reset-Phrase-Now-3');

    const user = await t.server.ctx.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    const entries = await t.server.ctx.db.selectFrom('audit_log').selectAll().where('actor_user_id', '=', user.id).orderBy('created_at').execute();
    const seen = entries.map((e) => `${e.action}:${e.outcome}`);
    for (const expected of [
      'user.created:success',
      'user.email_verified:success',
      'auth.login:failure',
      'auth.login:success',
      'two_factor.setup:success',
      'two_factor.enabled:success',
      'auth.two_factor:failure',
      'password.changed:success',
      'two_factor.disabled:success',
      'password.reset_requested:success',
      'password.reset:success',
    ]) {
      assert.ok(seen.includes(expected), `${expected} in ${seen.join(', ')}`);
    }
    const failure = entries.find((e) => e.action === 'auth.login' && e.outcome === 'failure')!;
    assert.equal(failure.ip, '127.0.0.1');
    assert.equal(failure.user_agent, 'audit-test/1.0');
    assert.deepEqual(JSON.parse(failure.details!), { reason: 'invalid_credentials' });
    const secondFactor = entries.filter((e) => e.action === 'auth.login' && e.outcome === 'success').map((e) => JSON.parse(e.details ?? '{}'));
    assert.ok(
      secondFactor.some((d) => d.second_factor === 'totp'),
      'the login through TOTP says so',
    );

    const all = JSON.stringify(await t.server.ctx.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of secrets) assert.ok(!all.includes(secret), `a secret leaked into the audit log: ${secret.slice(0, 6)}…`);
  });
});
