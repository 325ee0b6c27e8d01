import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, linkToken, loginCookie, signUpCookieOf } from './helpers/accounts.js';
import { codeFrom } from './helpers/mailtrap.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

const HOUR = 3_600_000;

/** A sign-up from a browser; `browser` is the sign-up cookie that browser then holds (pass it along to stay that browser). */
async function signUp(t: TestServer, email: string, password = GOOD_PASSWORD, name?: string, cookie?: string) {
  const reply = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password, ...(name ? { name } : {}) }, cookie });
  assert.equal(reply.status, 202, JSON.stringify(reply.body));
  return { ...reply, browser: signUpCookieOf(reply) };
}

async function nextLink(t: TestServer, email: string, after: number, path: '/verify-email' | '/reset-password' = '/verify-email'): Promise<string> {
  return linkToken(await t.mail.waitFor(email, { after }), path);
}

function verify(t: TestServer, token: string, browser?: string) {
  return t.request('POST', '/api/v1/auth/verify-email', { body: { token }, cookie: browser });
}

describe('sign-up and e-mail verification', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      PUBLIC_URL: 'https://specs.example.com',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
      FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000',
      FUNCSPEC_AGENT_VERIFY_PER_IP: '100000',
    });
  });
  after(() => t.close());

  it('the mail links to PUBLIC_URL/verify-email?token=… with a 256-bit token that is stored only as a hash', async () => {
    const email = uniqueEmail('link');
    const reply = await signUp(t, email, GOOD_PASSWORD, 'Grace Hopper');
    assert.deepEqual(Object.keys(reply.body.data), ['message']);
    const mail = await t.mail.waitFor(email);
    assert.match(mail.text, /https:\/\/specs\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}\b/);
    const token = linkToken(mail, '/verify-email');
    const rows = await t.server.ctx.db.selectFrom('email_tokens').selectAll().execute();
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(token), 'the token is not stored');
    const user = await t.server.ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    assert.equal(user.name, 'Grace Hopper');
    assert.equal(user.email_verified_at, null);
    assert.match(user.password_hash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'argon2id with the OWASP parameters');
  });

  it('a verification link works once', async () => {
    const email = uniqueEmail('once');
    await signUp(t, email);
    const token = await nextLink(t, email, 0);
    assert.equal((await verify(t, token)).status, 200);
    const again = await verify(t, token);
    assert.equal(again.status, 400);
    assert.equal(again.body.error_code, 'TOKEN_INVALID');
  });

  it('a verification link expires after 24 hours', async () => {
    const email = uniqueEmail('late');
    await signUp(t, email);
    const token = await nextLink(t, email, 0);
    t.clock.advance(24 * HOUR + 1000);
    const late = await verify(t, token);
    assert.equal(late.status, 400);
    assert.equal(late.body.error_code, 'TOKEN_INVALID');
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(login.body.error_code, 'EMAIL_NOT_VERIFIED');
  });

  it('resend: a new link arrives; once the address is verified, every other link is dead', async () => {
    const email = uniqueEmail('resend');
    const { browser } = await signUp(t, email);
    const first = await nextLink(t, email, 0);
    const resend = await t.request('POST', '/api/v1/auth/resend-verification', { body: { email }, cookie: browser });
    assert.equal(resend.status, 202);
    const second = await nextLink(t, email, 1);
    assert.notEqual(first, second);
    const verified = await verify(t, second, browser);
    assert.equal(verified.status, 200);
    assert.equal(verified.body.data.password_set, true, 'a link resent to the browser that signed up carries its password');
    assert.equal((await verify(t, first)).body.error_code, 'TOKEN_INVALID');
    // Verified: a resend sends nothing.
    await t.request('POST', '/api/v1/auth/resend-verification', { body: { email } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(t.mail.to(email).length, 2);
    await loginCookie(t, email);
  });

  it("threat: pre-hijacking — a squatter who signs up first with someone else's address never gets their password activated", async () => {
    const email = uniqueEmail('victim');
    await signUp(t, email, 'Squatter-Knows-This-1');
    const squatterLink = await nextLink(t, email, 0);
    // The real owner signs up later: a still-unverified account gets a fresh link, not "already have an account".
    const owner = await signUp(t, email, 'Owner-Chosen-Phrase-2');
    const ownerMail = await t.mail.waitFor(email, { after: 1 });
    assert.match(ownerMail.subject, /confirm/i);
    assert.equal((await verify(t, linkToken(ownerMail, '/verify-email'), owner.browser)).status, 200);
    const squatter = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Squatter-Knows-This-1' } });
    assert.equal(squatter.status, 401);
    assert.equal(squatter.body.error_code, 'INVALID_CREDENTIALS');
    await loginCookie(t, email, 'Owner-Chosen-Phrase-2');
    assert.equal((await verify(t, squatterLink)).body.error_code, 'TOKEN_INVALID', "the squatter's link died with the verification");
  });

  it("threat: pre-account takeover through a verification link — the victim clicks the link a squatter's sign-up sent, in their own browser: the squatter's password never becomes active", async () => {
    // The squatter, in their own browser, signs up first with the victim's address and a password of theirs.
    const email = uniqueEmail('takeover');
    const squatter = await signUp(t, email, 'Squatter-Knows-This-1');
    // The victim reads the mail (through the real SMTP peer): it looks like any confirmation mail, so they click.
    const mail = await t.mail.waitFor(email);
    assert.match(mail.subject, /confirm/i);
    const clicked = await verify(t, linkToken(mail, '/verify-email'));
    assert.equal(clicked.status, 200, JSON.stringify(clicked.body));
    assert.ok(clicked.body.data.user.email_verified_at, 'the click proves the mailbox: the address is verified');
    assert.equal(clicked.body.data.password_set, false, 'but no password the clicker did not choose becomes active');
    assert.match(clicked.body.data.password_token, /^[0-9A-Za-z]{43}$/);
    // The squatter's password opens nothing, before and after the victim chooses theirs.
    const early = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Squatter-Knows-This-1' }, cookie: squatter.browser });
    assert.equal(early.status, 401, JSON.stringify(early.body));
    assert.equal(early.body.error_code, 'INVALID_CREDENTIALS');
    const chosen = await t.request('POST', '/api/v1/auth/password/reset', {
      body: { token: clicked.body.data.password_token, password: 'Victim-Chose-This-7' },
    });
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    await loginCookie(t, email, 'Victim-Chose-This-7');
    const late = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Squatter-Knows-This-1' }, cookie: squatter.browser });
    assert.equal(late.body.error_code, 'INVALID_CREDENTIALS');
    // The password token works once, like a reset link.
    const again = await t.request('POST', '/api/v1/auth/password/reset', {
      body: { token: clicked.body.data.password_token, password: 'Squatter-Tries-Again-3' },
    });
    assert.equal(again.body.error_code, 'TOKEN_INVALID');
  });

  it('threat: pre-account takeover — a squatter who asks for the link again from their browser gets no link the victim could activate for them', async () => {
    const email = uniqueEmail('takeover-resend');
    const squatter = await signUp(t, email, 'Squatter-Knows-This-1');
    await t.mail.waitFor(email);
    assert.equal((await t.request('POST', '/api/v1/auth/resend-verification', { body: { email }, cookie: squatter.browser })).status, 202);
    const clicked = await verify(t, await nextLink(t, email, 1));
    assert.equal(clicked.body.data.password_set, false);
    assert.equal(
      (await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Squatter-Knows-This-1' } })).body.error_code,
      'INVALID_CREDENTIALS',
    );
  });

  it("the sign-up cookie is HttpOnly, SameSite=Lax and only kept for the link's lifetime; another browser's cookie does not count", async () => {
    const email = uniqueEmail('cookie');
    const mine = await signUp(t, email);
    const set = mine.headers.getSetCookie().find((c) => c.startsWith('__Host-funcspec_signup='))!;
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Lax/i);
    assert.match(set, /Secure/i, 'PUBLIC_URL is https here');
    assert.match(set, /Max-Age=86400/);
    const other = await signUp(t, uniqueEmail('someone-else'));
    const clicked = await verify(t, await nextLink(t, email, 0), other.browser);
    assert.equal(clicked.body.data.password_set, false);
  });

  it("threat: pre-hijacking via resend — the owner signs up after a squatter, asks for a new link and uses it: the squatter's password must not become active", async () => {
    const email = uniqueEmail('resendvictim');
    await signUp(t, email, 'Squatter-Knows-This-1');
    await t.mail.waitFor(email);
    await signUp(t, email, 'Owner-Chosen-Phrase-2');
    await t.mail.waitFor(email, { after: 1 });
    // The owner's mail is slow to come, so they ask for a new link, and use that one.
    assert.equal((await t.request('POST', '/api/v1/auth/resend-verification', { body: { email } })).status, 202);
    const resent = await nextLink(t, email, 2);
    assert.equal((await verify(t, resent)).status, 200);
    const squatter = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Squatter-Knows-This-1' } });
    assert.equal(squatter.status, 401, JSON.stringify(squatter.body));
    assert.equal(squatter.body.error_code, 'INVALID_CREDENTIALS');
    // The owner (who proved the mailbox) chooses the password through a reset link.
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email } });
    const reset = await t.request('POST', '/api/v1/auth/password/reset', {
      body: { token: await nextLink(t, email, 3, '/reset-password'), password: 'Owner-Chosen-Phrase-2' },
    });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await loginCookie(t, email, 'Owner-Chosen-Phrase-2');
  });

  it('threat: pre-hijacking via agent sign-up — proving the mailbox with an agent code drops a password set before verification', async () => {
    const email = uniqueEmail('agentvictim');
    await signUp(t, email, 'Squatter-Knows-This-1');
    await t.mail.waitFor(email);
    await t.request('POST', '/api/v1/agent/sign-up', { body: { email } });
    const otp = codeFrom(await t.mail.waitFor(email, { after: 1 }));
    assert.equal((await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: otp } })).status, 200);
    const squatter = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Squatter-Knows-This-1' } });
    assert.equal(squatter.body.error_code, 'INVALID_CREDENTIALS');
  });

  it('a sign-up for a verified address changes nothing about the account', async () => {
    const email = uniqueEmail('taken');
    const { browser } = await signUp(t, email);
    assert.equal((await verify(t, await nextLink(t, email, 0), browser)).status, 200);
    await signUp(t, email, 'Attacker-Wants-In-42', 'Mallory');
    const mail = await t.mail.waitFor(email, { after: 1 });
    assert.match(mail.subject, /already have/i);
    assert.doesNotMatch(mail.text, /token=/, 'no link that could change the account');
    assert.equal((await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Attacker-Wants-In-42' } })).status, 401);
    await loginCookie(t, email);
    const user = await t.server.ctx.db.selectFrom('users').select('name').where('email', '=', email).executeTakeFirstOrThrow();
    assert.equal(user.name, null);
  });

  it('threat: two sign-ups for one new address at once make one account', async () => {
    const email = uniqueEmail('race');
    const replies = await Promise.all(Array.from({ length: 5 }, () => t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } })));
    assert.deepEqual(
      replies.map((r) => r.status),
      [202, 202, 202, 202, 202],
    );
    const users = await t.server.ctx.db.selectFrom('users').select('id').where('email', '=', email).execute();
    assert.equal(users.length, 1);
  });

  it('e-mail addresses are matched case-insensitively', async () => {
    const email = uniqueEmail('case');
    const { browser } = await signUp(t, email.toUpperCase());
    assert.equal((await verify(t, await nextLink(t, email, 0), browser)).status, 200);
    await loginCookie(t, `  ${email.toUpperCase()} `);
  });
});

describe('account mails are capped', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL: '2', FUNCSPEC_ACCOUNT_MAILS_PER_IP: '6' });
  });
  after(() => t.close());

  it('threat: mail-bombing one address — past the per-address cap the answer stays 202 but no mail goes out', async () => {
    const email = uniqueEmail('bombed');
    await signUp(t, email);
    await t.mail.waitFor(email);
    for (let i = 0; i < 3; i++) assert.equal((await t.request('POST', '/api/v1/auth/resend-verification', { body: { email } })).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(t.mail.to(email).length, 2);
  });

  it('threat: one client mailing many addresses — past the per-IP cap, 429 RATE_LIMITED', async () => {
    // 4 requests were counted for this IP above; 2 more reach the cap of 6.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: uniqueEmail('spray') } })).status);
    assert.deepEqual(statuses, [202, 202, 429, 429]);
    const limited = await t.request('POST', '/api/v1/auth/sign-up', { body: { email: uniqueEmail('spray'), password: GOOD_PASSWORD } });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error_code, 'RATE_LIMITED');
    assert.equal(String(limited.body.details.retry_after_seconds), limited.headers.get('retry-after'));
  });
});
