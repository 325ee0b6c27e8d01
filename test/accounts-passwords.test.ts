import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, linkToken, loginCookie, verifiedUser } from './helpers/accounts.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

async function login(t: TestServer, email: string, password: string) {
  return t.request('POST', '/api/v1/auth/login', { body: { email, password } });
}

async function alive(t: TestServer, cookie: string): Promise<boolean> {
  return (await t.request('GET', '/api/v1/auth/session', { cookie })).status === 200;
}

async function resetLink(t: TestServer, email: string): Promise<string> {
  const before = t.mail.to(email).length;
  assert.equal((await t.request('POST', '/api/v1/auth/password/forgot', { body: { email } })).status, 202);
  return linkToken(await t.mail.waitFor(email, { after: before }), '/reset-password');
}

describe('password rules', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
      FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL: '1000',
    });
  });
  after(() => t.close());

  it('common and breached passwords (any case), trivial ones and the e-mail itself are 422 PASSWORD_TOO_WEAK, and nothing is created', async () => {
    const email = uniqueEmail('weak');
    for (const password of [
      'password1',
      'PASSWORD123',
      'Password1',
      'qwertyuiop',
      '12345678',
      'iloveyou',
      'aaaaaaaaaa',
      'abababab',
      email,
      email.split('@')[0]!,
    ]) {
      const reply = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password } });
      assert.equal(reply.status, 422, password);
      assert.equal(reply.body.error_code, 'PASSWORD_TOO_WEAK', password);
    }
    assert.equal(await t.server.ctx.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst(), undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.mail.to(email).length, 0);
  });

  it('8 to 256 characters, counted as characters (an emoji is one), else 422 VALIDATION_FAILED on the password field', async () => {
    const email = uniqueEmail('length');
    const tooShort = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: 'Xy7#pQ2' } });
    assert.equal(tooShort.status, 422);
    assert.equal(tooShort.body.error_code, 'VALIDATION_FAILED');
    assert.ok(tooShort.body.details.fields.password);
    const sevenEmoji = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: '🦊🐙🦉🐝🦋🐢🦀' } }); // 14 UTF-16 units
    assert.equal(sevenEmoji.status, 422, 'seven characters are too few, whatever their encoding');
    const tooLong = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: `${'k'.repeat(100) + 'Zq9-'.repeat(40)}x` } });
    assert.equal(tooLong.status, 422);
    assert.ok(tooLong.body.details.fields.password);

    const eightEmoji = await t.request('POST', '/api/v1/auth/sign-up', { body: { email: uniqueEmail('emoji'), password: '🦊🐙🦉🐝🦋🐢🦀🐳' } });
    assert.equal(eightEmoji.status, 202, 'any Unicode; eight emoji are eight characters');
  });

  it('never truncated: a 256-character password is used whole; its first 255 (or 72) characters do not log in', async () => {
    const password = Array.from({ length: 256 }, (_, i) => 'aZ3-kQ9!mW'[i % 10]).join('');
    const user = await verifiedUser(t, uniqueEmail('long'), password);
    assert.equal((await login(t, user.email, password)).status, 200);
    assert.equal((await login(t, user.email, password.slice(0, 255))).status, 401);
    assert.equal((await login(t, user.email, password.slice(0, 72))).status, 401, 'no bcrypt-style 72-byte cut');
    assert.equal((await login(t, user.email, `${password}x`)).status, 422, 'longer than any password can be');
  });

  it('Unicode is compared after NFKC: the same password typed as full-width or composed characters is the same password', async () => {
    const user = await verifiedUser(t, uniqueEmail('nfkc'), 'Ｃａｆé-Ｏｒｂｉｔ-９９'); // full-width letters, composed é
    assert.equal((await login(t, user.email, 'Café-Orbit-99')).status, 200);
    assert.equal((await login(t, user.email, 'Cafe\u0301-Orbit-99')).status, 200, 'e + combining accent');
    assert.equal((await login(t, user.email, 'Cafe-Orbit-99')).status, 401);
  });
});

describe('password change and reset', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
      FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL: '1000',
    });
  });
  after(() => t.close());

  it('change needs the current password (403 PASSWORD_INCORRECT otherwise, nothing changes)', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const other = await loginCookie(t, user.email);
    const wrong = await t.request('POST', '/api/v1/auth/password/change', {
      cookie,
      body: { current_password: 'Not-It-At-All-1', new_password: 'Fresh-Phrase-Here-5' },
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error_code, 'PASSWORD_INCORRECT');
    assert.ok(await alive(t, other), 'other sessions untouched');
    assert.equal((await login(t, user.email, GOOD_PASSWORD)).status, 200);
    const weak = await t.request('POST', '/api/v1/auth/password/change', { cookie, body: { current_password: GOOD_PASSWORD, new_password: 'password123' } });
    assert.equal(weak.body.error_code, 'PASSWORD_TOO_WEAK');
    assert.ok(await alive(t, other));
  });

  it('change: the new password works, the old one not, other sessions end and this one stays', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const other = await loginCookie(t, user.email);
    const changed = await t.request('POST', '/api/v1/auth/password/change', {
      cookie,
      body: { current_password: GOOD_PASSWORD, new_password: 'Fresh-Phrase-Here-5' },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.ok(await alive(t, cookie), 'the session that changed it stays');
    assert.equal(await alive(t, other), false, 'other sessions end');
    assert.equal((await login(t, user.email, GOOD_PASSWORD)).status, 401);
    assert.equal((await login(t, user.email, 'Fresh-Phrase-Here-5')).status, 200);
  });

  it('reset by mailed link: the link goes to PUBLIC_URL/reset-password, sets the password, ends every session, and works once', async () => {
    const user = await verifiedUser(t);
    const a = await loginCookie(t, user.email);
    const b = await loginCookie(t, user.email);
    const before = t.mail.to(user.email).length;
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    const mail = await t.mail.waitFor(user.email, { after: before });
    assert.match(mail.text, new RegExp(`${t.server.ctx.config.publicUrl}/reset-password\\?token=[A-Za-z0-9_-]{43}`));
    const token = linkToken(mail, '/reset-password');
    const reset = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Reset-To-This-One-3' } });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal(await alive(t, a), false);
    assert.equal(await alive(t, b), false);
    assert.equal((await login(t, user.email, GOOD_PASSWORD)).status, 401);
    assert.equal((await login(t, user.email, 'Reset-To-This-One-3')).status, 200);
    const again = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Second-Try-Phrase-4' } });
    assert.equal(again.status, 400);
    assert.equal(again.body.error_code, 'TOKEN_INVALID');
  });

  it('a reset link expires after 1 hour', async () => {
    const user = await verifiedUser(t);
    const token = await resetLink(t, user.email);
    t.clock.advance(3_600_000 + 1000);
    const late = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Too-Late-Phrase-6' } });
    assert.equal(late.body.error_code, 'TOKEN_INVALID');
  });

  it('using one reset link voids the other pending ones; a weak password is refused and leaves the link usable', async () => {
    const user = await verifiedUser(t);
    const first = await resetLink(t, user.email);
    const second = await resetLink(t, user.email);
    const weak = await t.request('POST', '/api/v1/auth/password/reset', { body: { token: second, password: 'qwertyuiop' } });
    assert.equal(weak.status, 422);
    assert.equal(weak.body.error_code, 'PASSWORD_TOO_WEAK');
    assert.equal((await t.request('POST', '/api/v1/auth/password/reset', { body: { token: second, password: 'Good-After-All-7' } })).status, 200);
    const voided = await t.request('POST', '/api/v1/auth/password/reset', { body: { token: first, password: 'Via-The-Old-Link-8' } });
    assert.equal(voided.body.error_code, 'TOKEN_INVALID');
    assert.equal((await login(t, user.email, 'Good-After-All-7')).status, 200);
  });

  it('threat: one reset link used 10 times at once sets the password exactly once', async () => {
    const user = await verifiedUser(t);
    const token = await resetLink(t, user.email);
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: `Parallel-Reset-${i}-Zebra` } })),
    );
    const ok = replies.map((r, i) => [r.status, i] as const).filter(([status]) => status === 200);
    assert.equal(ok.length, 1, `statuses ${replies.map((r) => r.status).join(',')}`);
    assert.equal((await login(t, user.email, `Parallel-Reset-${ok[0]![1]}-Zebra`)).status, 200);
  });

  it('a reset proves the mailbox: an unverified account becomes verified; forgot for an unknown address sends nothing', async () => {
    const email = uniqueEmail('unverified');
    await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } });
    await t.mail.waitFor(email);
    const token = await resetLink(t, email);
    const reset = await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Verified-By-Reset-9' } });
    assert.ok(reset.body.data.user.email_verified_at);
    assert.equal((await login(t, email, 'Verified-By-Reset-9')).status, 200);

    const nobody = uniqueEmail('nobody');
    assert.equal((await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: nobody } })).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.mail.to(nobody).length, 0);
  });
});
