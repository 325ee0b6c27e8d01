import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, verifiedUser } from './helpers/accounts.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

// Threat: online password guessing — against one account from many addresses, or against many
// accounts from one address, with X-Forwarded-For rotated to look like many clients.

function login(t: TestServer, email: string, password: string, forwardedFor?: string) {
  return t.request('POST', '/api/v1/auth/login', { body: { email, password }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });
}

let octet = 0;
function randomIp(): string {
  octet += 1;
  return `203.0.${Math.floor(octet / 250) % 250}.${(octet % 250) + 1}`;
}

describe('login throttling without a trusted proxy', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '1000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
    });
  });
  after(() => t.close());

  it('per account: after 3 guesses the 4th is 429 RATE_LIMITED, the right password too, whatever X-Forwarded-For says', async () => {
    const user = await verifiedUser(t);
    for (let i = 0; i < 3; i++) assert.equal((await login(t, user.email, `Wrong-Guess-${i}-Abc`, randomIp())).status, 401);
    const limited = await login(t, user.email, GOOD_PASSWORD, randomIp());
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error_code, 'RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry > 800 && retry <= 901, `retry-after ${retry} within the 15-minute window`);
    assert.equal(limited.body.details.retry_after_seconds, retry);
    // Another account is not affected.
    const other = await verifiedUser(t);
    assert.equal((await login(t, other.email, GOOD_PASSWORD)).status, 200);
    // The window passes: the account can log in again. (Redis keeps its own time, which a test cannot move.)
    if (!t.server.ctx.redis) {
      t.clock.advance(15 * 60_000 + 1000);
      assert.equal((await login(t, user.email, GOOD_PASSWORD)).status, 200);
    }
  });

  it('an unknown e-mail is throttled exactly like a known one (no enumeration through the limiter)', async () => {
    const known = await verifiedUser(t);
    const unknown = uniqueEmail('nobody');
    const statuses = async (email: string) => {
      const out: number[] = [];
      for (let i = 0; i < 5; i++) out.push((await login(t, email, `Wrong-Guess-${i}-Abc`)).status);
      return out;
    };
    assert.deepEqual(await statuses(known.email), [401, 401, 401, 429, 429]);
    assert.deepEqual(await statuses(unknown), [401, 401, 401, 429, 429]);
  });

  it("a successful login clears the account's count", async () => {
    const user = await verifiedUser(t);
    for (let i = 0; i < 2; i++) assert.equal((await login(t, user.email, 'Wrong-Guess-Abc-1')).status, 401);
    assert.equal((await login(t, user.email, GOOD_PASSWORD)).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await login(t, user.email, 'Wrong-Guess-Abc-1')).status, 401);
  });

  it('threat: 20 parallel guesses at one account get exactly 3 password checks', async () => {
    const user = await verifiedUser(t);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => login(t, user.email, `Parallel-Guess-${i}-Abc`)));
    assert.equal(replies.filter((r) => r.status === 401).length, 3);
    assert.equal(replies.filter((r) => r.status === 429).length, 17);
  });

  it("re-authentication (password change, 2FA setup) shares the account's allowance", async () => {
    const user = await verifiedUser(t);
    const cookie = (await login(t, user.email, GOOD_PASSWORD)).headers.getSetCookie()[0]!.split(';')[0]!;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password: `Wrong-Guess-${i}-Abc` } })).status);
    }
    assert.deepEqual(statuses, [403, 403, 403, 429]);
  });
});

describe('login throttling per client IP', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000', FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '5' });
  });
  after(() => t.close());

  it('threat: spraying many accounts from one address while rotating X-Forwarded-For — the socket address is counted, 429 after 5', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await login(t, uniqueEmail('spray'), 'Spray-Password-1', randomIp())).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('login throttling behind a trusted proxy', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_TRUST_PROXY: '127.0.0.1', FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3', FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '3' });
  });
  after(() => t.close());

  it('X-Forwarded-For from a configured proxy is believed: each client address has its own per-IP count', async () => {
    const client = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(t, uniqueEmail('behind'), 'Some-Password-1', client)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.equal((await login(t, uniqueEmail('behind'), 'Some-Password-1', randomIp())).status, 401, 'another client is not blocked');
  });

  it('threat: even where X-Forwarded-For is believed, rotating it does not reset the per-account count', async () => {
    const user = await verifiedUser(t);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(t, user.email, `Wrong-Guess-${i}-Abc`, randomIp())).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });
});

describe('security review: locking the owner out', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '1000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
      FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL: '2',
    });
  });
  after(() => t.close());

  const deviceCookieOf = (reply: { headers: Headers }) =>
    reply.headers
      .getSetCookie()
      .find((c) => c.startsWith('funcspec_device='))!
      .split(';')[0]!;

  it('threat: a stranger fails logins on purpose to lock the owner out — the browser the owner signed in with before still gets in; no other browser, and no forged cookie, does', async () => {
    const owner = await verifiedUser(t);
    const signedIn = await login(t, owner.email, GOOD_PASSWORD);
    assert.equal(signedIn.status, 200);
    const device = deviceCookieOf(signedIn);
    assert.match(signedIn.headers.getSetCookie().find((c) => c.startsWith('funcspec_device='))!, /HttpOnly/i);

    for (let i = 0; i < 3; i++) assert.equal((await login(t, owner.email, `Stranger-Guess-${i}-Abc`)).status, 401);
    assert.equal((await login(t, owner.email, GOOD_PASSWORD)).status, 429, 'an unknown browser is throttled, the right password too');

    const fromKnownDevice = (password: string, cookie: string) => t.request('POST', '/api/v1/auth/login', { body: { email: owner.email, password }, cookie });
    assert.equal((await fromKnownDevice(GOOD_PASSWORD, device)).status, 200, "the owner's browser gets in");

    const [name, value] = device.split('=') as [string, string];
    const forged = `${name}=${value.split('.')[0]}.${'A'.repeat(43)}`;
    assert.equal((await fromKnownDevice(GOOD_PASSWORD, forged)).status, 429, 'a forged cookie counts as an unknown browser');
    const other = await verifiedUser(t);
    const othersDevice = deviceCookieOf(await login(t, other.email, GOOD_PASSWORD));
    assert.equal((await fromKnownDevice(GOOD_PASSWORD, othersDevice)).status, 429, "another account's device cookie does not count");

    // The known browser has an allowance of its own, not an unlimited one.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fromKnownDevice(`Owner-Typo-${i}-Abc`, device)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });

  it('threat: sign-ups by others use up the mails an address may get — the owner can still get a reset link', async () => {
    const owner = await verifiedUser(t);
    for (let i = 0; i < 4; i++)
      assert.equal((await t.request('POST', '/api/v1/auth/sign-up', { body: { email: owner.email, password: `Someone-Else-${i}-Xyz` } })).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(t.mail.to(owner.email).length, 2, 'sign-up mails stop at the cap of 2 an hour (the verification mail was one)');
    assert.equal((await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: owner.email } })).status, 202);
    const reset = await t.mail.waitFor(owner.email, { after: 2 });
    assert.match(reset.text, /reset-password\?token=/, 'the reset link still comes');
  });
});
