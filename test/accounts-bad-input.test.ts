import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, loginCookie, verifiedUser } from './helpers/accounts.js';
import type { RequestOptions } from './helpers/http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Bad input anywhere in the accounts API gets the §2 problem envelope and changes nothing: no row
// in any table differs afterwards.

const TABLES = [
  'users',
  'sessions',
  'email_tokens',
  'login_challenges',
  'user_totp',
  'recovery_codes',
  'device_codes',
  'api_keys',
  'organizations',
  'memberships',
  'audit_log',
] as const;

async function snapshot(t: TestServer): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) out[table] = await t.server.ctx.db.selectFrom(table).selectAll().orderBy('created_at').execute();
  return JSON.stringify(out);
}

type Case = [method: string, path: string, options: RequestOptions, status: number, code?: string];

const long = (n: number) => 'x'.repeat(n);
const json = { 'content-type': 'application/json' };

function publicCases(email: string): Case[] {
  return [
    ['POST', '/api/v1/auth/sign-up', {}, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: {} }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: [] }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: 'text' }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { raw: 'null', headers: json }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email: 'not-an-email', password: GOOD_PASSWORD } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: 12345678 } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: 'short' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD, name: '' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD, name: long(101) } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD, name: 'a\u0000b' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email: `${long(250)}@example.com`, password: GOOD_PASSWORD } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: 'password' } }, 422, 'PASSWORD_TOO_WEAK'],
    ['POST', '/api/v1/auth/sign-up', { body: { email, password: 'password123' } }, 422, 'PASSWORD_TOO_WEAK'],
    ['POST', '/api/v1/auth/sign-up', { raw: '{"email":', headers: json }, 400, 'BAD_REQUEST'],
    [
      'POST',
      '/api/v1/auth/sign-up',
      { raw: `email=${email}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['POST', '/api/v1/auth/verify-email', { body: {} }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/verify-email', { body: { token: 5 } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/verify-email', { body: { token: '' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/verify-email', { body: { token: long(600) } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/verify-email', { body: { token: 'no-such-token' } }, 400, 'TOKEN_INVALID'],
    ['POST', '/api/v1/auth/resend-verification', { body: { email: 'nope' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login', { body: {} }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login', { body: { email } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login', { body: { email, password: '' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login', { body: { email, password: long(300) } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login', { body: { email, password: { $ne: null } } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login/two-factor', { body: {} }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: 'x', code: '' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/login/two-factor', { body: { challenge_token: 'no-such-challenge', code: '123456' } }, 401, 'TWO_FACTOR_CHALLENGE_INVALID'],
    ['POST', '/api/v1/auth/password/forgot', { body: { email: 5 } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/password/reset', { body: { token: 'no-such-token', password: GOOD_PASSWORD } }, 400, 'TOKEN_INVALID'],
    ['POST', '/api/v1/auth/password/reset', { body: { token: 'x', password: 'short' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/code', { body: {} }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/code', { body: { client_name: '' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/code', { body: { client_name: long(101) } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/code', { body: { client_name: 'evil\nname' } }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/token', { body: {} }, 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/token', { body: { device_code: 'no-such-code' } }, 400, 'EXPIRED_TOKEN'],
    ['POST', '/api/v1/auth/logout', {}, 401, 'UNAUTHORIZED'],
    ['GET', '/api/v1/auth/session', {}, 401, 'UNAUTHORIZED'],
    ['POST', '/api/v1/auth/device/approve', { body: { user_code: 'BCDF-GHJK', organization_id: 'org_x' } }, 401, 'UNAUTHORIZED'],
    ['POST', '/api/v1/auth/two-factor/setup', { body: { password: GOOD_PASSWORD } }, 401, 'UNAUTHORIZED'],
  ];
}

function sessionCases(cookie: string): Case[] {
  const c = (body?: unknown): RequestOptions => (body === undefined ? { cookie } : { cookie, body });
  return [
    ['POST', '/api/v1/auth/password/change', c({}), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/password/change', c({ current_password: GOOD_PASSWORD, new_password: 'short' }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/password/change', c({ current_password: 5, new_password: 'Some-Long-Phrase-1' }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/two-factor/setup', c({}), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/two-factor/setup', c({ password: '' }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/two-factor/enable', c({ code: '' }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/two-factor/enable', c({ code: '123456' }), 409, 'TWO_FACTOR_SETUP_REQUIRED'],
    ['POST', '/api/v1/auth/two-factor/disable', c({}), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/two-factor/disable', c({ password: GOOD_PASSWORD, code: '123456' }), 409, 'TWO_FACTOR_NOT_ENABLED'],
    ['POST', '/api/v1/auth/two-factor/recovery-codes', c({ password: GOOD_PASSWORD }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/two-factor/recovery-codes', c({ password: GOOD_PASSWORD, code: long(65) }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/approve', c({}), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/approve', c({ user_code: '!!', organization_id: 'org_x' }), 400, 'USER_CODE_INVALID'],
    ['POST', '/api/v1/auth/device/approve', c({ user_code: 'BCDF-GHJK', organization_id: 'org_nope' }), 404, 'NOT_FOUND'],
    ['POST', '/api/v1/auth/device/deny', c({ user_code: 5 }), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/device/deny', c({ user_code: 'BCDF-GHJK' }), 400, 'USER_CODE_INVALID'],
    ['DELETE', '/api/v1/auth/sessions/ses_nope', c(), 404, 'NOT_FOUND'],
    ['DELETE', `/api/v1/auth/sessions/${long(100)}`, c(), 422, 'VALIDATION_FAILED'],
    ['GET', '/api/v1/auth/sessions?page=0', c(), 422, 'VALIDATION_FAILED'],
    ['GET', '/api/v1/auth/sessions?per=101', c(), 422, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/auth/logout', { cookie, raw: 'not json', headers: json }, 400, 'BAD_REQUEST'],
  ];
}

describe('bad input to the accounts API', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000', FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS: '1000' });
  });
  after(() => t.close());

  it('every bad request gets the §2 envelope (status, error_code, message, details object, request_id) and changes nothing', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    await t.request('POST', '/api/v1/auth/device/code', { body: { client_name: 'pending one' } }); // something in every table that can have rows
    const before = await snapshot(t);

    for (const [method, path, options, status, code] of [...publicCases(user.email), ...sessionCases(cookie)]) {
      const label = `${method} ${path} ${JSON.stringify(options.body ?? options.raw ?? null).slice(0, 80)}`;
      const reply = await t.request(method, path, options);
      assert.equal(reply.status, status, `${label}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.headers.get('content-type'), 'application/problem+json; charset=utf-8', label);
      assert.deepEqual(Object.keys(reply.body).sort(), ['details', 'error_code', 'message', 'request_id', 'status'], label);
      assert.equal(reply.body.status, status, label);
      if (code) assert.equal(reply.body.error_code, code, label);
      assert.match(reply.body.error_code, /^[A-Z][A-Z0-9_]+$/, label);
      assert.equal(typeof reply.body.details, 'object', label);
      assert.ok(reply.body.details !== null && !Array.isArray(reply.body.details), label);
      assert.equal(reply.body.request_id, reply.headers.get('x-request-id'), label);
      if (reply.body.error_code === 'VALIDATION_FAILED') assert.equal(typeof reply.body.details.fields, 'object', label);
      assert.doesNotMatch(JSON.stringify(reply.body), /\bat .+\.(ts|js):\d+|SQLITE|syntax error|relation "/i, `${label}: no internals`);
    }
    assert.equal(await snapshot(t), before, 'no table changed');
  });

  it('validation names the offending fields', async () => {
    const reply = await t.request('POST', '/api/v1/auth/sign-up', { body: { email: 'nope', password: 'short', name: '' } });
    assert.deepEqual(Object.keys(reply.body.details.fields).sort(), ['email', 'name', 'password']);
  });
});
