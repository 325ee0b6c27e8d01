import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertOrganization } from '../src/orgs/store.js';
import { enableTotp, GOOD_PASSWORD, linkToken, loginCookie, nextStep, sessionCookieOf, totpAt, verifiedUser, type WebUser } from './helpers/accounts.js';
import type { Reply } from './helpers/http.js';
import { codeFrom } from './helpers/mailtrap.js';
import { SoftAuthenticator, type AnswerOptions, type SoftCredential } from './helpers/passkeys.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Passkeys through the HTTP API, answered by a software authenticator (test/helpers/passkeys.ts) as a
// browser would. Threats played: a phishing site relaying the challenge (another origin), a replayed or
// misdirected assertion, a removed or cloned passkey, and every way around the second factor (password
// alone, a reset link, agent verify, device approval).

const PUBLIC_URL = 'https://specs.example.com';

/** `name=value` of the cookie `name` (or its `__Host-` form) that a response set. */
function cookieOf(reply: Reply, name: string): string {
  const set = reply.headers.getSetCookie().find((c) => c.startsWith(`${name}=`) || c.startsWith(`__Host-${name}=`));
  if (!set) throw new Error(`no ${name} cookie in ${JSON.stringify(reply.headers.getSetCookie())}`);
  return set.split(';')[0]!;
}

interface PasskeyUser extends WebUser {
  cookie: string;
  authenticator: SoftAuthenticator;
  credential: SoftCredential;
  passkeyId: string;
}

async function audit(t: TestServer, userId: string, action: string) {
  return t.server.ctx.db.selectFrom('audit_log').selectAll().where('actor_user_id', '=', userId).where('action', '=', action).orderBy('id').execute();
}

describe('passkeys', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      PUBLIC_URL,
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS_PER_ACCOUNT: '1000',
      FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000',
      FUNCSPEC_AGENT_VERIFY_PER_IP: '100000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
    });
  });
  after(() => t.close());

  async function addPasskey(
    cookie: string,
    authenticator: SoftAuthenticator,
    name = 'Laptop',
    answer: AnswerOptions = {},
    proof: object = { password: GOOD_PASSWORD },
  ) {
    const options = await t.request('POST', '/api/v1/auth/passkeys/registration/options', { cookie, body: proof });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const { response, credential } = authenticator.register(options.body.data, answer);
    const added = await t.request('POST', '/api/v1/auth/passkeys', { cookie, body: { name, response } });
    return { added, credential };
  }

  /** A verified user, signed in, with one passkey (and no TOTP): their only second factor. */
  async function passkeyUser(): Promise<PasskeyUser> {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const authenticator = new SoftAuthenticator(PUBLIC_URL);
    const { added, credential } = await addPasskey(cookie, authenticator);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    return { ...user, cookie, authenticator, credential, passkeyId: added.body.data.id };
  }

  async function signInOptions() {
    const reply = await t.request('POST', '/api/v1/auth/passkeys/sign-in/options');
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return { attempt: cookieOf(reply, 'funcspec_passkey'), options: reply.body.data };
  }

  function signIn(attempt: string, response: unknown) {
    return t.request('POST', '/api/v1/auth/passkeys/sign-in', { cookie: attempt, body: { response } });
  }

  async function passwordChallenge(user: WebUser): Promise<{ token: string; methods: string[] }> {
    const reply = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.data.two_factor_required, true, 'a passkey is a second factor: the password alone gives no session');
    assert.deepEqual(reply.headers.getSetCookie(), []);
    return { token: reply.body.data.challenge_token, methods: reply.body.data.methods };
  }

  async function answerWithPasskey(user: PasskeyUser, token: string, answer: AnswerOptions = {}) {
    const options = await t.request('POST', '/api/v1/auth/passkeys/two-factor/options', { body: { challenge_token: token } });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const passkey = user.authenticator.assert(options.body.data, answer);
    return t.request('POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: token, passkey } });
  }

  it('register a passkey, list it with created and last used, then sign in with it and no password: a session like a password login', async () => {
    const user = await passkeyUser();
    const listed = await t.request('GET', '/api/v1/auth/passkeys', { cookie: user.cookie });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 1);
    const [passkey] = listed.body.data;
    assert.equal(passkey.name, 'Laptop');
    assert.equal(passkey.last_used_at, null);
    assert.match(passkey.created_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(passkey.device_type, 'multiDevice');
    assert.deepEqual(Object.keys(passkey).sort(), ['backed_up', 'created_at', 'device_type', 'id', 'last_used_at', 'name', 'transports']);

    const { attempt, options } = await signInOptions();
    assert.equal(options.rpId, 'specs.example.com', 'the RP id is the hostname of PUBLIC_URL');
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(options.allowCredentials ?? [], [], 'discoverable: no user name is asked first');
    const reply = await signIn(attempt, user.authenticator.assert(options));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.data.user.email, user.email);
    const session = sessionCookieOf(reply);
    assert.match(session, /^__Host-funcspec_session=/, 'the same session cookie as a password login');
    assert.ok(
      reply.headers.getSetCookie().some((c) => /funcspec_device=/.test(c)),
      'the known-device cookie too',
    );
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: session })).status, 200);

    const after = await t.request('GET', '/api/v1/auth/passkeys', { cookie: session });
    assert.notEqual(after.body.data[0].last_used_at, null, 'last used moves');
    const logins = await audit(t, user.id, 'auth.login');
    assert.deepEqual(JSON.parse(logins.at(-1)!.details!), { method: 'passkey', passkey_id: user.passkeyId });
  });

  it('threat: a replayed assertion is refused (the challenge is single use)', async () => {
    const user = await passkeyUser();
    const { attempt, options } = await signInOptions();
    const assertion = user.authenticator.assert(options);
    assert.equal((await signIn(attempt, assertion)).status, 200);
    const replay = await signIn(attempt, assertion);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error_code, 'PASSKEY_CHALLENGE_INVALID');
    assert.deepEqual(
      replay.headers.getSetCookie().filter((c) => /funcspec_session=/.test(c)),
      [],
    );
  });

  it("threat: an assertion for another challenge (another browser's sign-in attempt, or one never issued) is refused", async () => {
    const user = await passkeyUser();
    const victim = await signInOptions();
    const attacker = await signInOptions();
    const assertion = user.authenticator.assert(victim.options);
    const misdirected = await signIn(attacker.attempt, assertion);
    assert.equal(misdirected.status, 400);
    assert.equal(misdirected.body.error_code, 'PASSKEY_CHALLENGE_INVALID');
    const invented = await signIn(attacker.attempt, user.authenticator.assert({ ...attacker.options, challenge: 'bm90LWlzc3VlZC1ieS10aGUtc2VydmVy' }));
    assert.equal(invented.body.error_code, 'PASSKEY_CHALLENGE_INVALID');
    const noCookie = await t.request('POST', '/api/v1/auth/passkeys/sign-in', { body: { response: user.authenticator.assert(attacker.options) } });
    assert.equal(noCookie.body.error_code, 'PASSKEY_CHALLENGE_INVALID');
    // The challenges for the second login step and for re-authentication do not sign anyone in either.
    const { token } = await passwordChallenge(user);
    const twoFactor = await t.request('POST', '/api/v1/auth/passkeys/two-factor/options', { body: { challenge_token: token } });
    assert.equal((await signIn(attacker.attempt, user.authenticator.assert(twoFactor.body.data))).body.error_code, 'PASSKEY_CHALLENGE_INVALID');
  });

  it('threat: an assertion made on another origin (a phishing site relaying the challenge) is refused and audited', async () => {
    const user = await passkeyUser();
    const { attempt, options } = await signInOptions();
    const phished = await signIn(attempt, user.authenticator.assert(options, { origin: 'https://specs-example.com' }));
    assert.equal(phished.status, 401);
    assert.equal(phished.body.error_code, 'PASSKEY_INVALID');
    const failures = (await audit(t, user.id, 'auth.login')).filter((e) => e.outcome === 'failure');
    assert.equal(JSON.parse(failures.at(-1)!.details!).reason, 'invalid_assertion');
    // Nor does a passkey without user verification sign in without a password.
    const again = await signInOptions();
    const unverified = await signIn(again.attempt, user.authenticator.assert(again.options, { userVerified: false }));
    assert.equal(unverified.body.error_code, 'PASSKEY_INVALID');
  });

  it('threat: a removed passkey no longer signs in, nor answers the second step', async () => {
    const user = await passkeyUser();
    const second = await addPasskey(user.cookie, user.authenticator, 'Phone');
    assert.equal(second.added.status, 201);
    const removed = await t.request('DELETE', `/api/v1/auth/passkeys/${user.passkeyId}`, { cookie: user.cookie, body: { password: user.password } });
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    const { attempt, options } = await signInOptions();
    const refused = await signIn(attempt, user.authenticator.assert(options, { credential: user.credential }));
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error_code, 'PASSKEY_INVALID');
    const { token } = await passwordChallenge(user);
    const opts = await t.request('POST', '/api/v1/auth/passkeys/two-factor/options', { body: { challenge_token: token } });
    assert.deepEqual(
      opts.body.data.allowCredentials.map((c: { id: string }) => c.id),
      [second.credential.id.toString('base64url')],
      'only the remaining passkey is offered',
    );
    const viaRemoved = await t.request('POST', '/api/v1/auth/login/two-factor', {
      body: { challenge_token: token, passkey: user.authenticator.assert(opts.body.data, { credential: user.credential }) },
    });
    assert.equal(viaRemoved.body.error_code, 'PASSKEY_INVALID');
  });

  it('threat: a cloned authenticator (its signature counter goes back) is refused and a clone warning lands in the audit log', async () => {
    const user = await passkeyUser();
    const clone = user.authenticator.cloneOf(user.credential);
    const first = await signInOptions();
    assert.equal((await signIn(first.attempt, user.authenticator.assert(first.options))).status, 200); // counter 1
    const second = await signInOptions();
    assert.equal((await signIn(second.attempt, user.authenticator.assert(second.options))).status, 200); // counter 2
    const third = await signInOptions();
    const cloned = await signIn(third.attempt, clone.assert(third.options)); // the copy says 1
    assert.equal(cloned.status, 401);
    assert.equal(cloned.body.error_code, 'PASSKEY_INVALID');
    const warnings = await audit(t, user.id, 'passkey.clone_warning');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.target_id, user.passkeyId);
    assert.deepEqual(JSON.parse(warnings[0]!.details!), { stored_counter: 2, presented_counter: 1, purpose: 'sign_in' });
  });

  it('an authenticator that keeps no counter (always 0) signs in again and again', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const authenticator = new SoftAuthenticator(PUBLIC_URL);
    assert.equal((await addPasskey(cookie, authenticator, 'Counterless')).added.status, 201);
    for (let i = 0; i < 2; i++) {
      const { attempt, options } = await signInOptions();
      assert.equal((await signIn(attempt, authenticator.assert(options, { counting: false }))).status, 200);
    }
  });

  it('threat: one assertion sent 10 times at once gives exactly one session', async () => {
    const user = await passkeyUser();
    const { attempt, options } = await signInOptions();
    const assertion = user.authenticator.assert(options);
    const replies = await Promise.all(Array.from({ length: 10 }, () => signIn(attempt, assertion)));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, ...Array(9).fill(400)]);
  });

  it('a challenge expires after 5 minutes', async () => {
    const user = await passkeyUser();
    const { attempt, options } = await signInOptions();
    t.clock.advance(5 * 60_000 + 1);
    const late = await signIn(attempt, user.authenticator.assert(options));
    assert.equal(late.body.error_code, 'PASSKEY_CHALLENGE_INVALID');
  });

  it('a passkey is the second factor after a password: the login asks for it, a passkey assertion bound to that login answers it', async () => {
    const user = await passkeyUser();
    const { token, methods } = await passwordChallenge(user);
    assert.deepEqual(methods, ['passkey']);
    const code = await t.request('POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: token, code: '123456' } });
    assert.equal(code.body.error_code, 'TWO_FACTOR_INVALID', 'no TOTP: a code cannot answer');
    // An assertion for another login's challenge does not answer this one.
    const other = await passwordChallenge(user);
    const otherOptions = await t.request('POST', '/api/v1/auth/passkeys/two-factor/options', { body: { challenge_token: other.token } });
    const crossed = await t.request('POST', '/api/v1/auth/login/two-factor', {
      body: { challenge_token: token, passkey: user.authenticator.assert(otherOptions.body.data) },
    });
    assert.equal(crossed.body.error_code, 'PASSKEY_CHALLENGE_INVALID');
    const reply = await answerWithPasskey(user, token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: sessionCookieOf(reply) })).status, 200);
    const twoFactor = (await audit(t, user.id, 'auth.login')).at(-1)!;
    assert.deepEqual(JSON.parse(twoFactor.details!), { method: 'password', second_factor: 'passkey' });
    const used = await t.request('POST', '/api/v1/auth/passkeys/two-factor/options', { body: { challenge_token: token } });
    assert.equal(used.body.error_code, 'TWO_FACTOR_CHALLENGE_INVALID', 'the login challenge is used: no new options for it');
  });

  it('with TOTP and a passkey, the second step takes either; agent verify asks for the TOTP code as before', async () => {
    const user = await passkeyUser();
    const { secret } = await enableTotp(t, user.cookie);
    nextStep(t);
    const first = await passwordChallenge(user);
    assert.deepEqual(first.methods, ['totp', 'passkey']);
    assert.equal((await answerWithPasskey(user, first.token)).status, 200);
    const second = await passwordChallenge(user);
    const viaCode = await t.request('POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: second.token, code: totpAt(secret, t.clock.now()) } });
    assert.equal(viaCode.status, 200, JSON.stringify(viaCode.body));
    const both = await t.request('POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: second.token, code: '123456', passkey: {} } });
    assert.equal(both.status, 422, 'a code or a passkey, not both');

    const mails = t.mail.to(user.email).length;
    await t.request('POST', '/api/v1/agent/sign-up', { body: { email: user.email } });
    const otp_code = codeFrom(await t.mail.waitFor(user.email, { after: mails }));
    const missing = await t.request('POST', '/api/v1/agent/verify', { body: { email: user.email, otp_code } });
    assert.equal(missing.body.error_code, 'TWO_FACTOR_REQUIRED');
    assert.deepEqual(missing.body.details.methods, ['totp', 'passkey']);
    assert.match(missing.body.message, /totp_code/);
    nextStep(t);
    const verified = await t.request('POST', '/api/v1/agent/verify', { body: { email: user.email, otp_code, totp_code: totpAt(secret, t.clock.now()) } });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
  });

  it('threat: agent verify for a passkey-only user — the e-mail code alone is refused with TWO_FACTOR_REQUIRED, a made-up TOTP code too, and no key is made', async () => {
    const user = await passkeyUser();
    const keysBefore = await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', user.id).execute();
    for (const totp_code of [undefined, '123456']) {
      const mails = t.mail.to(user.email).length;
      assert.equal((await t.request('POST', '/api/v1/agent/sign-up', { body: { email: user.email } })).status, 200);
      const otp_code = codeFrom(await t.mail.waitFor(user.email, { after: mails }));
      const reply = await t.request('POST', '/api/v1/agent/verify', { body: { email: user.email, otp_code, ...(totp_code ? { totp_code } : {}) } });
      assert.equal(reply.status, 401);
      if (totp_code) assert.equal(reply.body.error_code, 'TWO_FACTOR_INVALID');
      else {
        assert.equal(reply.body.error_code, 'TWO_FACTOR_REQUIRED');
        assert.deepEqual(reply.body.details.methods, ['passkey']);
        assert.match(reply.body.message, /passkey.*funcspec auth login --web/);
      }
      assert.equal(reply.body.api_key, undefined);
    }
    const keysAfter = await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', user.id).execute();
    assert.equal(keysAfter.length, keysBefore.length);
  });

  it('threat: device approval for a passkey-only user — the password alone gives nothing to approve with; after the passkey, approval works', async () => {
    const user = await passkeyUser();
    const org = await insertOrganization(t.server.ctx.db, t.clock.now(), { name: 'Keyed', slug: `keyed-${Date.now()}`, ownerId: user.id });
    const device = await t.request('POST', '/api/v1/auth/device/code', { body: { client_name: 'laptop' } });
    const userCode = device.body.data.user_code;
    const { token } = await passwordChallenge(user);
    const withToken = await t.request('POST', '/api/v1/auth/device/approve', {
      cookie: `__Host-funcspec_session=${token}`,
      body: { user_code: userCode, organization_id: org.id },
    });
    assert.equal(withToken.status, 401, 'the challenge token is no session');
    const poll = await t.request('POST', '/api/v1/auth/device/token', { body: { device_code: device.body.data.device_code } });
    assert.equal(poll.body.error_code, 'AUTHORIZATION_PENDING');
    const signedIn = await answerWithPasskey(user, token);
    const approve = await t.request('POST', '/api/v1/auth/device/approve', {
      cookie: sessionCookieOf(signedIn),
      body: { user_code: userCode, organization_id: org.id },
    });
    assert.equal(approve.status, 200, JSON.stringify(approve.body));
  });

  it('the first passkey of an account without TOTP signs out its other sessions (none that skipped the second factor outlives it)', async () => {
    const user = await verifiedUser(t);
    const older = await loginCookie(t, user.email);
    const cookie = await loginCookie(t, user.email);
    const authenticator = new SoftAuthenticator(PUBLIC_URL);
    assert.equal((await addPasskey(cookie, authenticator)).added.status, 201);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: older })).status, 401);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 200);
  });

  it('recovery by e-mail: a passkey-only user resets the password from the mailed link, and the next login still asks for the passkey', async () => {
    const user = await passkeyUser();
    const mails = t.mail.to(user.email).length;
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    const token = linkToken(await t.mail.waitFor(user.email, { after: mails }), '/reset-password');
    const reset = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Brand-New-Phrase-2024' } });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(reset.headers.getSetCookie(), [], 'a reset link signs nobody in');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: user.cookie })).status, 401, 'every session ended');
    const recovered = { ...user, password: 'Brand-New-Phrase-2024' };
    const { token: challenge, methods } = await passwordChallenge(recovered);
    assert.deepEqual(methods, ['passkey']);
    assert.equal((await answerWithPasskey(recovered, challenge)).status, 200);
    const { attempt, options } = await signInOptions();
    assert.equal((await signIn(attempt, user.authenticator.assert(options))).status, 200, 'the passkey still signs in alone');
  });

  it('removal needs re-authentication (password, TOTP code or a fresh passkey assertion of this session); add and remove are mailed and audited', async () => {
    const user = await passkeyUser();
    const addedMail = await t.mail.waitFor(user.email, { kind: 'notice' });
    assert.match(addedMail.text, /A passkey was added/);
    const second = await addPasskey(user.cookie, user.authenticator, 'Phone');
    const url = `/api/v1/auth/passkeys/${second.added.body.data.id}`;

    const none = await t.request('DELETE', url, { cookie: user.cookie, body: {} });
    assert.equal(none.status, 422);
    assert.ok(none.body.details.fields.password);
    const wrong = await t.request('DELETE', url, { cookie: user.cookie, body: { password: 'not-the-password' } });
    assert.equal(wrong.body.error_code, 'PASSWORD_INCORRECT');
    const code = await t.request('DELETE', url, { cookie: user.cookie, body: { code: '123456' } });
    assert.equal(code.body.error_code, 'TWO_FACTOR_INVALID', 'no TOTP on: a code proves nothing');
    assert.equal((await t.request('GET', '/api/v1/auth/passkeys', { cookie: user.cookie })).body.data.length, 2, 'nothing removed');

    // A passkey assertion made for another session's re-authentication does not count here.
    const otherSession = await t.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    const otherCookie = sessionCookieOf(await answerWithPasskey(user, otherSession.body.data.challenge_token));
    const foreign = await t.request('POST', '/api/v1/auth/passkeys/reauthentication/options', { cookie: otherCookie });
    const crossed = await t.request('DELETE', url, { cookie: user.cookie, body: { passkey: user.authenticator.assert(foreign.body.data) } });
    assert.equal(crossed.body.error_code, 'PASSKEY_CHALLENGE_INVALID');

    const options = await t.request('POST', '/api/v1/auth/passkeys/reauthentication/options', { cookie: user.cookie });
    assert.equal(options.status, 200);
    const removed = await t.request('DELETE', url, { cookie: user.cookie, body: { passkey: user.authenticator.assert(options.body.data) } });
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    assert.equal((await t.request('DELETE', url, { cookie: user.cookie, body: { password: user.password } })).body.error_code, 'PASSKEY_NOT_FOUND');
    const removedMail = await t.mail.waitFor(user.email, { kind: 'notice', after: 2 }); // after the two "added" notices
    assert.match(removedMail.text, /A passkey was removed/);
    assert.doesNotMatch(removedMail.text, /Phone/, 'the notice carries nothing typed into the account');
    assert.equal((await audit(t, user.id, 'passkey.registered')).length, 2);
    assert.equal((await audit(t, user.id, 'passkey.removed')).length, 1);
  });

  it("threat: a session alone (a stolen cookie) cannot add a passkey — adding needs the password, a TOTP code or one of the account's passkeys", async () => {
    const user = await passkeyUser();
    const url = '/api/v1/auth/passkeys/registration/options';
    const none = await t.request('POST', url, { cookie: user.cookie });
    assert.equal(none.status, 422);
    assert.ok(none.body.details.fields.body, JSON.stringify(none.body));
    const empty = await t.request('POST', url, { cookie: user.cookie, body: {} });
    assert.equal(empty.body.details.fields.password, 'send one of password, code or passkey');
    const wrong = await t.request('POST', url, { cookie: user.cookie, body: { password: 'not-the-password' } });
    assert.equal(wrong.body.error_code, 'PASSWORD_INCORRECT');
    const code = await t.request('POST', url, { cookie: user.cookie, body: { code: '123456' } });
    assert.equal(code.body.error_code, 'TWO_FACTOR_INVALID');
    const stored = await t.server.ctx.db
      .selectFrom('passkey_challenges')
      .select('id')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'register')
      .execute();
    assert.equal(stored.length, 1, "refused attempts issue no registration challenge (only the first passkey's)");
    // One of the account's passkeys re-authenticates this session for the next one.
    const reauth = await t.request('POST', '/api/v1/auth/passkeys/reauthentication/options', { cookie: user.cookie });
    const { added } = await addPasskey(user.cookie, user.authenticator, 'Security key', {}, { passkey: user.authenticator.assert(reauth.body.data) });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal((await t.request('GET', '/api/v1/auth/passkeys', { cookie: user.cookie })).body.data.length, 2);
  });

  it("rename; someone else's passkey is a 404 for every operation", async () => {
    const user = await passkeyUser();
    const other = await passkeyUser();
    const renamed = await t.request('PATCH', `/api/v1/auth/passkeys/${user.passkeyId}`, { cookie: user.cookie, body: { name: 'Work laptop' } });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.data.name, 'Work laptop');
    const foreign = `/api/v1/auth/passkeys/${other.passkeyId}`;
    assert.equal((await t.request('PATCH', foreign, { cookie: user.cookie, body: { name: 'Mine now' } })).body.error_code, 'PASSKEY_NOT_FOUND');
    assert.equal((await t.request('DELETE', foreign, { cookie: user.cookie, body: { password: user.password } })).body.error_code, 'PASSKEY_NOT_FOUND');
    assert.equal((await t.request('GET', '/api/v1/auth/passkeys', { cookie: other.cookie })).body.data[0].name, 'Laptop');
  });

  it('bad input gets the §2 envelope and changes nothing: malformed responses, a registration from another origin or for another session', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email, GOOD_PASSWORD);
    const authenticator = new SoftAuthenticator(PUBLIC_URL);
    const count = async () => (await t.request('GET', '/api/v1/auth/passkeys', { cookie })).body.data.length;

    for (const body of [
      {},
      { name: 'x' },
      { name: '', response: {} },
      { name: 'x', response: { id: '!!', rawId: '!!', type: 'public-key', response: {} } },
      { name: 'a\nb', response: null },
    ]) {
      const reply = await t.request('POST', '/api/v1/auth/passkeys', { cookie, body });
      assert.equal(reply.status, 422, JSON.stringify(reply.body));
      assert.equal(reply.body.error_code, 'VALIDATION_FAILED');
    }
    const garbage = await t.request('POST', '/api/v1/auth/passkeys/sign-in', { body: { response: 'nope' } });
    assert.equal(garbage.status, 422);
    const notJson = await t.request('POST', '/api/v1/auth/passkeys/sign-in', { raw: '{', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);

    const options = await t.request('POST', '/api/v1/auth/passkeys/registration/options', { cookie, body: { password: GOOD_PASSWORD } });
    const phished = authenticator.register(options.body.data, { origin: 'https://specs.example.com.evil.test' });
    const refused = await t.request('POST', '/api/v1/auth/passkeys', { cookie, body: { name: 'Evil', response: phished.response } });
    assert.equal(refused.body.error_code, 'PASSKEY_INVALID');

    const otherCookie = await loginCookie(t, user.email, GOOD_PASSWORD);
    const forOther = await t.request('POST', '/api/v1/auth/passkeys/registration/options', { cookie: otherCookie, body: { password: GOOD_PASSWORD } });
    const crossed = await t.request('POST', '/api/v1/auth/passkeys', {
      cookie,
      body: { name: 'Crossed', response: authenticator.register(forOther.body.data).response },
    });
    assert.equal(crossed.body.error_code, 'PASSKEY_CHALLENGE_INVALID');

    const first = await addPasskey(cookie, authenticator, 'Once');
    assert.equal(first.added.status, 201);
    const again = await t.request('POST', '/api/v1/auth/passkeys/registration/options', { cookie, body: { password: GOOD_PASSWORD } });
    assert.deepEqual(
      again.body.data.excludeCredentials.map((c: { id: string }) => c.id),
      [first.credential.id.toString('base64url')],
      'the browser is told not to register it twice',
    );
    assert.equal(await count(), 1);
    const withoutSession = await t.request('POST', '/api/v1/auth/passkeys/registration/options', { body: { password: GOOD_PASSWORD } });
    assert.equal(withoutSession.status, 401);
    const crossSite = await t.request('POST', '/api/v1/auth/passkeys/sign-in/options', { headers: { origin: 'https://evil.test' } });
    assert.equal(crossSite.body.error_code, 'CSRF_REJECTED');
  });
});
