import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enableTotp, GOOD_PASSWORD, linkToken, loginCookie, nextStep, totpAt, verifiedUser } from './helpers/accounts.js';
import type { ReceivedMail } from './helpers/mailtrap.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Threat: someone who got into an account changes how it signs in (password, 2FA) and the owner never
 * hears of it. Every such change mails a notice to the account's address, saying what, when and from where.
 */
describe('security notices: changes to how an account signs in are mailed to its owner', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL: '1000', FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000' });
  });
  after(() => t.close());

  async function notice(email: string, seen: number): Promise<ReceivedMail> {
    const mail = await t.mail.waitFor(email, { after: seen, kind: 'notice' });
    assert.equal(mail.subject, 'Security notice for your FuncSpec account');
    assert.match(mail.text, /When: \d{4}-\d\d-\d\dT[\d:.]+Z/);
    assert.match(mail.text, /From: 127\.0\.0\.1/);
    assert.match(mail.text, new RegExp(`${t.server.ctx.config.publicUrl}/reset-password `), 'says where to go if it was not the owner');
    assert.doesNotMatch(mail.text, /token=/, 'carries no link that acts');
    return mail;
  }

  it('a password change and a password reset each mail a notice (what, when, from which address)', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    assert.equal(t.mail.to(user.email, 'notice').length, 0, 'signing up and in is no security change');

    const changed = await t.request('POST', '/api/v1/auth/password/change', {
      cookie,
      body: { current_password: GOOD_PASSWORD, new_password: 'Fresh-Phrase-Here-5' },
    });
    assert.equal(changed.status, 200);
    assert.match((await notice(user.email, 0)).text, /password of your FuncSpec account was changed/);

    const before = t.mail.to(user.email).length;
    await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    const token = linkToken(await t.mail.waitFor(user.email, { after: before }), '/reset-password');
    assert.equal((await t.request('POST', '/api/v1/auth/password/reset', { body: { token, password: 'Reset-To-This-One-3' } })).status, 200);
    assert.match((await notice(user.email, 1)).text, /was reset with a link sent to this address/);
  });

  it('a refused change mails nothing: a wrong current password changes nothing and tells no one', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const wrong = await t.request('POST', '/api/v1/auth/password/change', {
      cookie,
      body: { current_password: 'Not-It-At-All-1', new_password: 'Fresh-Phrase-Here-5' },
    });
    assert.equal(wrong.status, 403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(t.mail.to(user.email, 'notice').length, 0);
  });

  it('turning two-factor on, making new recovery codes and turning it off each mail a notice', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const { secret } = await enableTotp(t, cookie);
    assert.match((await notice(user.email, 0)).text, /Two-factor authentication was turned on/);

    nextStep(t);
    const codes = await t.request('POST', '/api/v1/auth/two-factor/recovery-codes', {
      cookie,
      body: { password: GOOD_PASSWORD, code: totpAt(secret, t.clock.now()) },
    });
    assert.equal(codes.status, 200, JSON.stringify(codes.body));
    assert.match((await notice(user.email, 1)).text, /New two-factor recovery codes were made/);

    nextStep(t);
    const off = await t.request('POST', '/api/v1/auth/two-factor/disable', { cookie, body: { password: GOOD_PASSWORD, code: totpAt(secret, t.clock.now()) } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.match((await notice(user.email, 2)).text, /Two-factor authentication was turned off/);
  });
});
