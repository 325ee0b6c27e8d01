import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertOrganization } from '../src/orgs/store.js';
import { enableTotp, GOOD_PASSWORD, linkToken, loginCookie, nextStep, sessionCookieOf, totpAt, verifiedUser, type WebUser } from './helpers/accounts.js';
import { codeFrom } from './helpers/mailtrap.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Threat: an attacker who has the password (phished, reused) or the mailbox gets in without the
// second factor the user turned on, or replays a code they watched being typed.

async function challenge(t: TestServer, user: WebUser): Promise<string> {
  const reply = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.data.two_factor_required, true);
  assert.deepEqual(reply.headers.getSetCookie(), [], 'no cookie before the second factor');
  return reply.body.data.challenge_token;
}

function secondStep(t: TestServer, challengeToken: string, code: string) {
  return t.request('POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: challengeToken, code } });
}

/** A verified user with TOTP on; the clock is moved past the enabling code's step. */
async function totpUser(t: TestServer): Promise<WebUser & { secret: string; recoveryCodes: string[] }> {
  const user = await verifiedUser(t);
  const cookie = await loginCookie(t, user.email);
  const totp = await enableTotp(t, cookie);
  nextStep(t);
  return { ...user, ...totp };
}

async function sessionCount(t: TestServer, userId: string): Promise<number> {
  return (await t.server.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length;
}

function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe('two-factor authentication cannot be skipped', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS_PER_ACCOUNT: '1000',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '1000',
      FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000',
      FUNCSPEC_AGENT_VERIFY_PER_IP: '100000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
    });
  });
  after(() => t.close());

  it('a correct password alone gives a challenge, never a session: the challenge token is not a cookie and the right code is needed', async () => {
    const user = await totpUser(t);
    const token = await challenge(t, user);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: `funcspec_session=${token}` })).status, 401);
    const wrong = await secondStep(t, token, wrongCode(totpAt(user.secret, t.clock.now())));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error_code, 'TWO_FACTOR_INVALID');
    assert.equal(wrong.body.details.remaining_attempts, 4);
    assert.deepEqual(wrong.headers.getSetCookie(), []);
    const right = await secondStep(t, token, totpAt(user.secret, t.clock.now()));
    assert.equal(right.status, 200);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: sessionCookieOf(right) })).status, 200);
  });

  it('a reset link gives no session and does not turn TOTP off: the next login still asks for the code', async () => {
    const user = await totpUser(t);
    const mails = t.mail.to(user.email).length;
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    const token = linkToken(await t.mail.waitFor(user.email, { after: mails }), '/reset-password');
    const reset = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Brand-New-Phrase-2024' } });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(reset.headers.getSetCookie(), [], 'no session from a reset link');
    assert.equal(reset.body.data.user.two_factor_enabled, true);
    await challenge(t, { ...user, password: 'Brand-New-Phrase-2024' });
  });

  it('agent verify: without totp_code 401 TWO_FACTOR_REQUIRED, with a wrong one 401 TWO_FACTOR_INVALID, with the right one a key', async () => {
    const user = await totpUser(t);
    const before = t.mail.to(user.email).length;
    assert.equal((await t.request('POST', '/api/v1/agent/sign-up', { body: { email: user.email } })).status, 200);
    const otp = codeFrom(await t.mail.waitFor(user.email, { after: before }));

    const missing = await t.request('POST', '/api/v1/agent/verify', { body: { email: user.email, otp_code: otp } });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error_code, 'TWO_FACTOR_REQUIRED');
    assert.equal(missing.body.api_key, undefined);
    const wrong = await t.request('POST', '/api/v1/agent/verify', {
      body: { email: user.email, otp_code: otp, totp_code: wrongCode(totpAt(user.secret, t.clock.now())) },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error_code, 'TWO_FACTOR_INVALID');
    const recovery = await t.request('POST', '/api/v1/agent/verify', { body: { email: user.email, otp_code: otp, totp_code: user.recoveryCodes[0] } });
    assert.equal(recovery.status, 401, 'agent verify takes a TOTP code, not a recovery code');
    const keys = await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', user.id).execute();
    assert.equal(keys.length, 0, 'no key was minted by the refused calls');

    const right = await t.request('POST', '/api/v1/agent/verify', {
      body: { email: user.email, otp_code: otp, totp_code: totpAt(user.secret, t.clock.now()) },
    });
    assert.equal(right.status, 200, JSON.stringify(right.body));
    assert.match(right.body.api_key, /^fs_live_/);
    assert.equal(right.body.is_new_user, false);
  });

  it('device approval: a password-only login cannot approve, and a session older than TOTP was ended when it was turned on', async () => {
    const user = await verifiedUser(t);
    const org = await insertOrganization(t.server.ctx.db, Date.now(), { name: 'Skip Test', slug: `skip-${user.id.slice(-8).toLowerCase()}`, ownerId: user.id });
    const oldSession = await loginCookie(t, user.email); // e.g. a laptop signed in before 2FA
    const cookie = await loginCookie(t, user.email);
    const { secret } = await enableTotp(t, cookie);
    nextStep(t);

    const device = await t.request('POST', '/api/v1/auth/device/code', { body: { client_name: 'laptop' } });
    const userCode = device.body.data.user_code;
    const viaOld = await t.request('POST', '/api/v1/auth/device/approve', { cookie: oldSession, body: { user_code: userCode, organization_id: org.id } });
    assert.equal(viaOld.status, 401, 'the pre-2FA session is gone');
    const token = await challenge(t, user); // the password alone: a challenge, no cookie to approve with
    const anonymous = await t.request('POST', '/api/v1/auth/device/approve', { body: { user_code: userCode, organization_id: org.id } });
    assert.equal(anonymous.status, 401);
    const poll = await t.request('POST', '/api/v1/auth/device/token', { body: { device_code: device.body.data.device_code } });
    assert.equal(poll.body.error_code, 'AUTHORIZATION_PENDING');

    const signedIn = await secondStep(t, token, totpAt(secret, t.clock.now()));
    const approve = await t.request('POST', '/api/v1/auth/device/approve', {
      cookie: sessionCookieOf(signedIn),
      body: { user_code: userCode, organization_id: org.id },
    });
    assert.equal(approve.status, 200, JSON.stringify(approve.body));
  });

  it('threat: a TOTP code watched being typed is refused when replayed, and so is an older code after a newer one', async () => {
    const user = await totpUser(t);
    const code = totpAt(user.secret, t.clock.now());
    assert.equal((await secondStep(t, await challenge(t, user), code)).status, 200);
    const replay = await secondStep(t, await challenge(t, user), code);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error_code, 'TWO_FACTOR_INVALID');

    nextStep(t);
    // A phone whose clock runs 30 s fast sends the next step's code (inside the ±1 window): accepted.
    // After it, the current step's code is older than the last one used, and is refused.
    const ahead = totpAt(user.secret, t.clock.now() + 30_000);
    assert.equal((await secondStep(t, await challenge(t, user), ahead)).status, 200);
    const older = await secondStep(t, await challenge(t, user), totpAt(user.secret, t.clock.now()));
    assert.equal(older.status, 401);
    assert.equal(older.body.error_code, 'TWO_FACTOR_INVALID');
  });

  it('threat: 10 parallel submissions of one valid code (on 10 challenges) give exactly one session', async () => {
    const user = await totpUser(t);
    const tokens = [];
    for (let i = 0; i < 10; i++) tokens.push(await challenge(t, user));
    const code = totpAt(user.secret, t.clock.now());
    const before = await sessionCount(t, user.id);
    const replies = await Promise.all(tokens.map((token) => secondStep(t, token, code)));
    const ok = replies.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `statuses ${replies.map((r) => r.status).join(',')}`);
    for (const r of replies.filter((r) => r.status !== 200)) assert.equal(r.body.error_code, 'TWO_FACTOR_INVALID');
    assert.equal(await sessionCount(t, user.id), before + 1, 'exactly one session was made');
  });

  it('threat: 10 parallel submissions of one valid code on one challenge give exactly one session', async () => {
    const user = await totpUser(t);
    const token = await challenge(t, user);
    const code = totpAt(user.secret, t.clock.now());
    const before = await sessionCount(t, user.id);
    const replies = await Promise.all(Array.from({ length: 10 }, () => secondStep(t, token, code)));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, `statuses ${replies.map((r) => r.status).join(',')}`);
    assert.equal(await sessionCount(t, user.id), before + 1, 'exactly one session was made');
  });

  it('threat: parallel guessing on one challenge gets no extra tries — 20 wrong guesses at once, exactly 5 are compared, then the challenge is dead', async () => {
    const user = await totpUser(t);
    const token = await challenge(t, user);
    const right = totpAt(user.secret, t.clock.now());
    const guesses = Array.from({ length: 20 }, (_, i) => String((Number(right) + i + 1) % 1_000_000).padStart(6, '0'));
    const replies = await Promise.all(guesses.map((code) => secondStep(t, token, code)));
    const compared = replies.filter((r) => r.body.error_code === 'TWO_FACTOR_INVALID');
    assert.equal(compared.length, 5);
    assert.deepEqual(compared.map((r) => r.body.details.remaining_attempts).sort(), [0, 1, 2, 3, 4]);
    assert.equal(replies.filter((r) => r.body.error_code === 'TWO_FACTOR_CHALLENGE_INVALID').length, 15);
    const late = await secondStep(t, token, right);
    assert.equal(late.status, 401);
    assert.equal(late.body.error_code, 'TWO_FACTOR_CHALLENGE_INVALID', 'even the right code is refused on a used-up challenge');
  });

  it('a challenge expires after 5 minutes and is single use', async () => {
    const user = await totpUser(t);
    const token = await challenge(t, user);
    t.clock.advance(5 * 60_000 + 1);
    const expired = await secondStep(t, token, totpAt(user.secret, t.clock.now()));
    assert.equal(expired.body.error_code, 'TWO_FACTOR_CHALLENGE_INVALID');
    const fresh = await challenge(t, user);
    assert.equal((await secondStep(t, fresh, totpAt(user.secret, t.clock.now()))).status, 200);
    nextStep(t);
    const reused = await secondStep(t, fresh, totpAt(user.secret, t.clock.now()));
    assert.equal(reused.body.error_code, 'TWO_FACTOR_CHALLENGE_INVALID');
  });
});

describe('two-factor management', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS_PER_ACCOUNT: '1000', FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000' });
  });
  after(() => t.close());

  it('setup needs the password; enable needs a pending setup and a right code; setup is refused while TOTP is on', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const wrongPassword = await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password: 'Not-The-Password-1' } });
    assert.equal(wrongPassword.status, 403);
    assert.equal(wrongPassword.body.error_code, 'PASSWORD_INCORRECT');
    const noSetup = await t.request('POST', '/api/v1/auth/two-factor/enable', { cookie, body: { code: '123456' } });
    assert.equal(noSetup.status, 409);
    assert.equal(noSetup.body.error_code, 'TWO_FACTOR_SETUP_REQUIRED');

    const setup = await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password: GOOD_PASSWORD } });
    const wrong = await t.request('POST', '/api/v1/auth/two-factor/enable', {
      cookie,
      body: { code: wrongCode(totpAt(setup.body.data.secret, t.clock.now())) },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error_code, 'TWO_FACTOR_INVALID');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).body.data.user.two_factor_enabled, false, 'still off');

    // A second setup replaces the pending seed: the first one's codes no longer enable.
    const again = await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password: GOOD_PASSWORD } });
    assert.notEqual(again.body.data.secret, setup.body.data.secret);
    const stale = await t.request('POST', '/api/v1/auth/two-factor/enable', { cookie, body: { code: totpAt(setup.body.data.secret, t.clock.now()) } });
    assert.equal(stale.body.error_code, 'TWO_FACTOR_INVALID');
    const enabled = await t.request('POST', '/api/v1/auth/two-factor/enable', { cookie, body: { code: totpAt(again.body.data.secret, t.clock.now()) } });
    assert.equal(enabled.status, 200);
    const enrolled = await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password: GOOD_PASSWORD } });
    assert.equal(enrolled.status, 409);
    assert.equal(enrolled.body.error_code, 'TWO_FACTOR_ALREADY_ENABLED');
    const twice = await t.request('POST', '/api/v1/auth/two-factor/enable', { cookie, body: { code: totpAt(again.body.data.secret, t.clock.now()) } });
    assert.equal(twice.body.error_code, 'TWO_FACTOR_ALREADY_ENABLED');
  });

  it('recovery codes: regenerating needs password + code and kills the old set; each code works once', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const { secret, recoveryCodes } = await enableTotp(t, cookie);
    nextStep(t);
    const noCode = await t.request('POST', '/api/v1/auth/two-factor/recovery-codes', { cookie, body: { password: GOOD_PASSWORD, code: '000000' } });
    assert.equal(noCode.body.error_code, 'TWO_FACTOR_INVALID');
    const badPassword = await t.request('POST', '/api/v1/auth/two-factor/recovery-codes', {
      cookie,
      body: { password: 'Wrong-Password-11', code: totpAt(secret, t.clock.now()) },
    });
    assert.equal(badPassword.body.error_code, 'PASSWORD_INCORRECT');
    const fresh = await t.request('POST', '/api/v1/auth/two-factor/recovery-codes', {
      cookie,
      body: { password: GOOD_PASSWORD, code: totpAt(secret, t.clock.now()) },
    });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    const newCodes: string[] = fresh.body.data.recovery_codes;
    assert.equal(newCodes.length, 10);

    const login = async (code: string) => {
      const first = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: GOOD_PASSWORD } });
      return secondStep(t, first.body.data.challenge_token, code);
    };
    assert.equal((await login(recoveryCodes[0]!)).body.error_code, 'TWO_FACTOR_INVALID', 'the old set is dead');
    // Typed back in upper case and without the hyphen, it is the same code.
    assert.equal((await login(newCodes[1]!.toUpperCase().replace('-', ''))).status, 200);
    assert.equal((await login(newCodes[1]!)).body.error_code, 'TWO_FACTOR_INVALID', 'used once');
    const stored = await t.server.ctx.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute();
    assert.equal(stored.length, 10);
    assert.ok(!JSON.stringify(stored).includes(newCodes[2]!.replace('-', '')), 'stored hashed');
  });

  it('disable needs password + code (a recovery code will do); afterwards the password alone signs in', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const { recoveryCodes } = await enableTotp(t, cookie);
    const badPassword = await t.request('POST', '/api/v1/auth/two-factor/disable', { cookie, body: { password: 'Wrong-Password-11', code: recoveryCodes[0] } });
    assert.equal(badPassword.body.error_code, 'PASSWORD_INCORRECT');
    const badCode = await t.request('POST', '/api/v1/auth/two-factor/disable', { cookie, body: { password: GOOD_PASSWORD, code: 'aaaaa-bbbbb' } });
    assert.equal(badCode.body.error_code, 'TWO_FACTOR_INVALID');
    const off = await t.request('POST', '/api/v1/auth/two-factor/disable', { cookie, body: { password: GOOD_PASSWORD, code: recoveryCodes[0] } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.deepEqual(off.body.data, { two_factor_enabled: false });
    assert.equal(
      (await t.request('POST', '/api/v1/auth/two-factor/disable', { cookie, body: { password: GOOD_PASSWORD, code: '123456' } })).body.error_code,
      'TWO_FACTOR_NOT_ENABLED',
    );
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: GOOD_PASSWORD } });
    assert.ok(login.body.data.session, 'a session straight away');
    assert.equal((await t.server.ctx.db.selectFrom('recovery_codes').select('id').where('user_id', '=', user.id).execute()).length, 0);
  });

  it('the TOTP seed is stored sealed, never in clear', async () => {
    const user = await verifiedUser(t);
    const { secret } = await enableTotp(t, await loginCookie(t, user.email));
    const row = await t.server.ctx.db.selectFrom('user_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(secret));
    assert.match(row.secret_sealed!, /^v1\./);
  });
});

describe('two-factor guessing is limited per account', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS_PER_ACCOUNT: '6', FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000' });
  });
  after(() => t.close());

  it('threat: fresh challenges do not buy fresh guesses — past the account allowance every guess is 429, the right code too', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const { secret } = await enableTotp(t, cookie); // 1 guess used by enabling
    nextStep(t);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const token = await challenge(t, user);
      statuses.push((await secondStep(t, token, wrongCode(totpAt(secret, t.clock.now())))).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    const right = await secondStep(t, await challenge(t, user), totpAt(secret, t.clock.now()));
    assert.equal(right.status, 429);
    assert.equal(right.body.error_code, 'RATE_LIMITED');
    assert.ok(Number(right.headers.get('retry-after')) > 0);
    assert.equal(right.body.details.retry_after_seconds, Number(right.headers.get('retry-after')));
  });
});
