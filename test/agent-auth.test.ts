import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codeFrom } from './helpers/mailtrap.js';
import { agentKey, startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

const MAX_ATTEMPTS = 10;

async function signUp(t: TestServer, email: string): Promise<string> {
  const before = t.mail.to(email).length;
  const reply = await t.request('POST', '/api/v1/agent/sign-up', { body: { email } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return codeFrom(await t.mail.waitFor(email, { after: before }));
}

/** A 6-digit code that is not `code`. */
function wrong(code: string, n = 1): string {
  return String((Number(code) + n) % 1_000_000).padStart(6, '0');
}

describe('agent auth: two calls to a key', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '1000', FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000', FUNCSPEC_AGENT_VERIFY_PER_IP: '100000' });
  });
  after(() => t.close());

  it('sign-up → code by mail → verify → GET /credits/balance with X-API-Key, exact bodies of §5', async () => {
    const email = uniqueEmail('founder');
    const signUpReply = await fetch(`${t.url}/api/v1/agent/sign-up`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    assert.equal(signUpReply.status, 200);
    assert.deepEqual(await signUpReply.json(), { email, message: 'Verification code sent to your email' });

    const mail = await t.mail.waitFor(email);
    const code = codeFrom(mail);
    assert.match(code, /^\d{6}$/);

    const verifyReply = await fetch(`${t.url}/api/v1/agent/verify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, otp_code: code }),
    });
    assert.equal(verifyReply.status, 200);
    const verified = (await verifyReply.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(verified).sort(), ['api_key', 'email', 'is_new_user']);
    assert.equal(verified.email, email);
    assert.equal(verified.is_new_user, true);
    assert.match(String(verified.api_key), /^fs_live_[0-9A-Za-z]{38}$/);

    const balance = await fetch(`${t.url}/api/v1/credits/balance`, {
      headers: { 'X-API-Key': String(verified.api_key), 'Content-Type': 'application/json' },
    });
    assert.equal(balance.status, 200);
    const body = (await balance.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['credits_left', 'credits_used', 'total_credits']);
    assert.equal(body.total_credits, 100, 'the free plan includes 100 credits a month');
    assert.equal(body.credits_used, 0);
    assert.equal(body.credits_left, 100);
    assert.ok(balance.headers.get('x-ratelimit-limit'));
  });

  it('the new user gets a verified account, a personal organization they own, and the key acts in it', async () => {
    const { email, key } = await agentKey(t);
    const me = await t.request('GET', '/api/v1/me', { key });
    assert.equal(me.status, 200);
    assert.equal(me.body.data.user.email, email);
    assert.equal(me.body.data.role, 'owner');
    assert.equal(me.body.data.auth, 'api_key');
    assert.equal(me.body.data.api_key.last_four, key.slice(-4));
    assert.match(me.body.data.organization.slug, /^agent-\d+-[a-z0-9]+-[a-z0-9]{6}$/);
  });

  it('an otp_code sent as a JSON number (leading zeros lost) is accepted as the same code', async () => {
    const email = uniqueEmail();
    const code = await signUp(t, email);
    const reply = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: Number(code) } });
    assert.equal(reply.status, 200);
  });

  it('recovery: signing up again with a known e-mail returns the same working key, is_new_user false', async () => {
    const { email, key } = await agentKey(t);
    const code = await signUp(t, email);
    const again = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
    assert.equal(again.status, 200);
    assert.equal(again.body.is_new_user, false);
    assert.equal(again.body.api_key, key);
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key: again.body.api_key })).status, 200);
  });

  it('a new sign-up replaces the pending code: the old code no longer verifies', async () => {
    const email = uniqueEmail();
    const first = await signUp(t, email);
    const second = await signUp(t, email);
    if (first !== second) {
      const old = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: first } });
      assert.equal(old.status, 400);
      assert.equal(old.body.error_code, 'OTP_INVALID');
    }
    const ok = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: second } });
    assert.equal(ok.status, 200);
  });

  it('wrong codes count down details.remaining_attempts, then OTP_MAX_ATTEMPTS refuses even the right code', async () => {
    const email = uniqueEmail();
    const code = await signUp(t, email);
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      const reply = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: wrong(code, i) } });
      assert.equal(reply.status, 400);
      assert.equal(reply.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(reply.body.error_code, 'OTP_INVALID');
      assert.equal(reply.body.details.remaining_attempts, MAX_ATTEMPTS - i);
    }
    const right = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
    assert.equal(right.status, 429);
    assert.equal(right.body.error_code, 'OTP_MAX_ATTEMPTS');
  });

  it('threat: parallel guessing gets no extra tries — 50 wrong guesses at once, at most 10 are compared', async () => {
    const email = uniqueEmail();
    const code = await signUp(t, email);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: wrong(code, i + 1) } })),
    );
    const compared = replies.filter((r) => r.body.error_code === 'OTP_INVALID');
    const refused = replies.filter((r) => r.body.error_code === 'OTP_MAX_ATTEMPTS');
    assert.equal(compared.length, MAX_ATTEMPTS, 'exactly the limit of guesses were compared');
    assert.equal(refused.length, 50 - MAX_ATTEMPTS);
    assert.deepEqual(
      compared.map((r) => r.body.details.remaining_attempts).sort((a, b) => a - b),
      Array.from({ length: MAX_ATTEMPTS }, (_, i) => i),
      'each compared guess saw a distinct count',
    );
    const right = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
    assert.equal(right.body.error_code, 'OTP_MAX_ATTEMPTS', 'the right code is refused afterwards');
  });

  it('threat: a code verifies once — the right code fired 20 times at once gives exactly one key', async () => {
    const email = uniqueEmail();
    const code = await signUp(t, email);
    const replies = await Promise.all(Array.from({ length: 20 }, () => t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } })));
    const ok = replies.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `statuses: ${replies.map((r) => r.status).join(',')}`);
    for (const r of replies.filter((r) => r.status !== 200)) {
      assert.ok(['OTP_EXPIRED', 'OTP_MAX_ATTEMPTS'].includes(r.body.error_code), r.body.error_code);
    }
  });

  it('verify without any pending code → OTP_EXPIRED', async () => {
    const reply = await t.request('POST', '/api/v1/agent/verify', { body: { email: uniqueEmail(), otp_code: '123456' } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error_code, 'OTP_EXPIRED');
  });

  it('a revoked agent key is replaced by a new one on recovery', async () => {
    const { email, key } = await agentKey(t);
    // Revoke it the way an operator or the key API would: stamp revoked_at.
    await t.server.ctx.db
      .updateTable('api_keys')
      .set({ revoked_at: Date.now() - 1 })
      .where('last_four', '=', key.slice(-4))
      .execute();
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 401);
    const code = await signUp(t, email);
    const again = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
    assert.equal(again.status, 200);
    assert.notEqual(again.body.api_key, key);
    assert.equal((await t.request('GET', '/api/v1/me', { key: again.body.api_key })).status, 200);
  });

  it('threat: a code mailed before the operator disabled the account still handed out a key (and made an organization)', async () => {
    // A web user who owns no organization: recovery would mint a key in a new personal organization.
    const email = uniqueEmail('disabled');
    const userId = `usr_disabled${Date.now()}`;
    await t.server.ctx.db
      .insertInto('users')
      .values({
        id: userId,
        email,
        name: null,
        email_verified_at: Date.now(),
        password_hash: null,
        disabled_at: null,
        created_at: Date.now(),
        updated_at: Date.now(),
      })
      .execute();
    const code = await signUp(t, email);
    await t.server.ctx.db.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', userId).execute();
    const reply = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
    assert.equal(reply.status, 400, JSON.stringify(reply.body));
    assert.equal(reply.body.error_code, 'OTP_EXPIRED', 'the same answer as for an address that never got a code');
    assert.equal(reply.body.api_key, undefined);
    const keys = await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', userId).execute();
    const orgs = await t.server.ctx.db.selectFrom('memberships').select('org_id').where('user_id', '=', userId).execute();
    assert.deepEqual([keys.length, orgs.length], [0, 0], 'no key and no organization for a disabled account');
  });
});

describe('agent auth: expiry and sign-up limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_AGENT_OTP_TTL: '2m', FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '3', FUNCSPEC_AGENT_SIGNUPS_PER_IP: '8' });
  });
  after(() => t.close());

  it('a code older than FUNCSPEC_AGENT_OTP_TTL is refused with OTP_EXPIRED', async () => {
    const email = uniqueEmail();
    const code = await signUp(t, email);
    t.clock.advance(2 * 60_000 + 1);
    const reply = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error_code, 'OTP_EXPIRED');
  });

  it('per-e-mail limit: the 4th sign-up in an hour is 429 RATE_LIMITED with Retry-After = details.retry_after_seconds', async () => {
    const email = uniqueEmail();
    for (let i = 0; i < 3; i++) assert.equal((await t.request('POST', '/api/v1/agent/sign-up', { body: { email } })).status, 200);
    const limited = await t.request('POST', '/api/v1/agent/sign-up', { body: { email } });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error_code, 'RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry > 3000 && retry <= 3601, `retry-after ${retry}`);
    assert.equal(limited.body.details.retry_after_seconds, retry);
  });

  it('per-IP limit: many e-mails from one address are cut off too', async () => {
    // 5 requests were counted for this IP above (1 + 3 + the refused one); 3 more reach the limit of 8.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.request('POST', '/api/v1/agent/sign-up', { body: { email: uniqueEmail() } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
  });
});

describe('security review: agent codes guessed across codes', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_AGENT_OTP_TTL: '10m',
      FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '1000',
      FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000',
      FUNCSPEC_AGENT_VERIFY_PER_IP: '100000',
    });
  });
  after(() => t.close());

  const verify = (email: string, otp_code: string) => t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code } });

  it('threat: asking for a new code resets the tries — a replacement code keeps the tries already spent on the pending one', async () => {
    const email = uniqueEmail('carry');
    const first = await signUp(t, email);
    for (let i = 1; i <= 4; i++) assert.equal((await verify(email, wrong(first, i))).body.details.remaining_attempts, MAX_ATTEMPTS - i);
    const second = await signUp(t, email);
    const after = await verify(email, wrong(second));
    assert.equal(after.body.error_code, 'OTP_INVALID');
    assert.equal(after.body.details.remaining_attempts, MAX_ATTEMPTS - 5, 'the fifth try of this address, not the first of a fresh code');
    assert.equal((await verify(email, second)).status, 200, 'the new code itself works');
    // Once a code is used or has expired, the next one starts afresh.
    const third = await signUp(t, email);
    assert.equal((await verify(email, wrong(third))).body.details.remaining_attempts, MAX_ATTEMPTS - 1);
  });

  it('threat: guessing across codes — one address gets FUNCSPEC_AGENT_VERIFY_PER_EMAIL (20) tries a day over all its codes, then 429 even for the right code', async () => {
    const email = uniqueEmail('budget');
    // Two codes' worth of tries, each code left to expire, so only the daily budget can stop the 21st.
    for (let round = 0; round < 2; round++) {
      const code = await signUp(t, email);
      for (let i = 1; i <= MAX_ATTEMPTS; i++) assert.equal((await verify(email, wrong(code, i))).body.error_code, 'OTP_INVALID');
      t.clock.advance(10 * 60_000 + 1);
    }
    const code = await signUp(t, email);
    const refused = await verify(email, code);
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error_code, 'RATE_LIMITED');
    assert.equal(String(refused.body.details.retry_after_seconds), refused.headers.get('retry-after'));
    assert.ok(refused.body.details.retry_after_seconds > 20 * 3600, 'the budget is per day');
    // A day later the address can verify again. (Redis keeps its own time, which a test cannot move.)
    if (!t.server.ctx.redis) {
      t.clock.advance(24 * 3_600_000);
      const fresh = await signUp(t, email);
      assert.equal((await verify(email, fresh)).status, 200, 'a day later the address can verify again');
    }
  });

  it('threat: parallel guesses across the daily budget — 60 wrong tries at once on a code with more tries than the budget compare at most 20', async () => {
    const relaxed = await startTestServer({ FUNCSPEC_AGENT_OTP_MAX_ATTEMPTS: '1000', FUNCSPEC_AGENT_VERIFY_PER_IP: '100000' });
    try {
      const email = uniqueEmail('parallel-budget');
      const before = relaxed.mail.to(email).length;
      await relaxed.request('POST', '/api/v1/agent/sign-up', { body: { email } });
      const code = codeFrom(await relaxed.mail.waitFor(email, { after: before }));
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) => relaxed.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: wrong(code, i + 1) } })),
      );
      const compared = replies.filter((r) => r.body.error_code === 'OTP_INVALID').length;
      const limited = replies.filter((r) => r.body.error_code === 'RATE_LIMITED').length;
      assert.equal(compared, 20, `compared ${compared}`);
      assert.equal(limited, 40);
    } finally {
      await relaxed.close();
    }
  });

  it('threat: one client guessing many addresses — FUNCSPEC_AGENT_VERIFY_PER_IP tries per hour from one address, then 429', async () => {
    const limited = await startTestServer({ FUNCSPEC_AGENT_VERIFY_PER_IP: '5', FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await limited.request('POST', '/api/v1/agent/verify', { body: { email: uniqueEmail('spray'), otp_code: '123456' } })).status);
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
