import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Reply } from './http.js';
import type { ReceivedMail } from './mailtrap.js';
import { uniqueEmail, type ServerPeer, type TestServer } from './server.js';

/** A password that is on no common list. */
export const GOOD_PASSWORD = 'Orbit-Lantern-Quiet-42';

/**
 * An independent RFC 6238 generator (SHA1, HOTP dynamic truncation of RFC 4226 §5.3) written with
 * node:crypto only, so the tests do not check the server's TOTP code with the same library it uses.
 */
export function totpAt(secretBase32: string, timeMs: number, digits = 6, periodSeconds = 30): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / periodSeconds)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The `token` query parameter of the link to `path` in a mail. */
export function linkToken(mail: ReceivedMail, path: '/verify-email' | '/reset-password'): string {
  const match = new RegExp(`https?://\\S+${path}\\?token=([A-Za-z0-9_%-]+)`).exec(mail.text);
  if (!match) throw new Error(`no ${path} link in mail: ${mail.text}`);
  return decodeURIComponent(match[1]!);
}

/** `name=value` of the sign-up cookie a sign-up set: the browser that signed up sends it with the verification. */
export function signUpCookieOf(reply: Reply): string {
  return sessionCookieOf(reply, ['funcspec_signup', '__Host-funcspec_signup']);
}

/** `name=value` of the session cookie a response set (for the Cookie header of later requests). */
export function sessionCookieOf(reply: Reply, name?: string | string[]): string {
  const names = Array.isArray(name) ? name : name ? [name] : ['funcspec_session', '__Host-funcspec_session'];
  const set = reply.headers.getSetCookie().find((c) => names.some((n) => c.startsWith(`${n}=`)));
  if (!set) throw new Error(`no ${names.join(' or ')} cookie in ${JSON.stringify(reply.headers.getSetCookie())}`);
  return set.split(';')[0]!;
}

export interface WebUser {
  email: string;
  password: string;
  id: string;
}

/** Sign-up → mail → verification link used in the same browser: a verified web account with a password. */
export async function verifiedUser(t: ServerPeer, email = uniqueEmail('web'), password = GOOD_PASSWORD): Promise<WebUser> {
  const before = t.mail.to(email).length;
  const signUp = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password } });
  assert.equal(signUp.status, 202, JSON.stringify(signUp.body));
  const token = linkToken(await t.mail.waitFor(email, { after: before }), '/verify-email');
  const verified = await t.request('POST', '/api/v1/auth/verify-email', { body: { token }, cookie: signUpCookieOf(signUp) });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(verified.body.data.password_set, true, 'the browser that signed up activates its password');
  return { email, password, id: verified.body.data.user.id };
}

/** Password login without two-factor; returns the cookie header value. */
export async function loginCookie(t: ServerPeer, email: string, password = GOOD_PASSWORD): Promise<string> {
  const reply = await t.request('POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return sessionCookieOf(reply);
}

/** Turns TOTP on for a signed-in user; returns the seed and the recovery codes. */
export async function enableTotp(t: TestServer, cookie: string, password = GOOD_PASSWORD): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await t.request('POST', '/api/v1/auth/two-factor/setup', { cookie, body: { password } });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  const secret: string = setup.body.data.secret;
  const enable = await t.request('POST', '/api/v1/auth/two-factor/enable', { cookie, body: { code: totpAt(secret, t.clock.now()) } });
  assert.equal(enable.status, 200, JSON.stringify(enable.body));
  return { secret, recoveryCodes: enable.body.data.recovery_codes };
}

/** Moves the server clock to the next 30-second step, so a fresh TOTP code exists. */
export function nextStep(t: TestServer): void {
  t.clock.advance(30_000);
}
