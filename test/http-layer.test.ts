import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentKey, startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';
import { assertProblem } from './helpers/http.js';

async function countRows(t: TestServer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['users', 'organizations', 'memberships', 'api_keys', 'agent_otps', 'credit_ledger'] as const) {
    const row = await t.server.ctx.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

describe('HTTP layer: garbage in gets the right 4xx envelope, never a 500, nothing written', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('malformed JSON → 400 BAD_REQUEST', async () => {
    assertProblem(await t.request('POST', '/api/v1/agent/sign-up', { raw: '{"email": ', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
  });

  it('unknown route → 404 NOT_FOUND envelope', async () => {
    assertProblem(await t.request('GET', '/api/v1/nope'), 404, 'NOT_FOUND');
    assertProblem(await t.request('POST', '/nothing/here', { body: {} }), 404, 'NOT_FOUND');
  });

  it('body over 1 MiB → 413 PAYLOAD_TOO_LARGE', async () => {
    const email = `${'a'.repeat(1024 * 1024)}@example.com`;
    assertProblem(await t.request('POST', '/api/v1/agent/sign-up', { body: { email } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('wrong or missing content type on a body → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const body = JSON.stringify({ email: uniqueEmail() });
    assertProblem(await t.request('POST', '/api/v1/agent/sign-up', { raw: body, headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertProblem(
      await t.request('POST', '/api/v1/agent/sign-up', { raw: 'email=a%40b.com', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assertProblem(await t.request('POST', '/api/v1/agent/sign-up', { raw: body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('schema violations → 422 VALIDATION_FAILED with details.fields naming each field', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{}, ['email']],
      [{ email: 42 }, ['email']],
      [{ email: 'not-an-email' }, ['email']],
      [{ email: 'a b@example.com' }, ['email']],
      [{ email: `${'x'.repeat(300)}@example.com` }, ['email']],
      [[], ['body']],
      ['just a string', ['body']],
      [null, ['body']],
    ];
    for (const [body, fields] of cases) {
      const reply = await t.request('POST', '/api/v1/agent/sign-up', { raw: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      assertProblem(reply, 422, 'VALIDATION_FAILED');
      assert.deepEqual(Object.keys(reply.body.details.fields), fields, JSON.stringify(body));
    }
    const verify = await t.request('POST', '/api/v1/agent/verify', { body: { email: uniqueEmail(), otp_code: '12ab56' } });
    assertProblem(verify, 422, 'VALIDATION_FAILED');
    assert.deepEqual(Object.keys(verify.body.details.fields), ['otp_code']);
    const missing = await t.request('POST', '/api/v1/agent/verify', { body: { otp_code: true } });
    assertProblem(missing, 422, 'VALIDATION_FAILED');
    assert.deepEqual(Object.keys(missing.body.details.fields).sort(), ['email', 'otp_code']);
  });

  it('an empty JSON body where one is required → 422, not a crash', async () => {
    assertProblem(await t.request('POST', '/api/v1/agent/verify', { raw: '', headers: { 'content-type': 'application/json' } }), 422, 'VALIDATION_FAILED');
  });

  it('prototype-poisoning JSON is refused with 400', async () => {
    const raw = '{"email":"x@example.com","__proto__":{"admin":true}}';
    assertProblem(await t.request('POST', '/api/v1/agent/sign-up', { raw, headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
  });

  it('none of the bad requests above wrote anything', async () => {
    const counts = await countRows(t);
    assert.deepEqual(counts, { users: 0, organizations: 0, memberships: 0, api_keys: 0, agent_otps: 0, credit_ledger: 0 });
  });

  it('X-Request-Id: a sane incoming id is echoed, anything else is replaced by a generated one', async () => {
    const echoed = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-abc.123');
    const replaced = await t.request('GET', '/healthz', { headers: { 'x-request-id': `evil <script>"/${'x'.repeat(200)}` } });
    const generatedId = /^[A-Za-z0-9]{10}-[0-9a-z]+$/; // the process's random prefix and a counter
    assert.match(replaced.headers.get('x-request-id') ?? '', generatedId);
    const generated = await t.request('GET', '/api/v1/nope');
    assert.match(generated.headers.get('x-request-id') ?? '', generatedId);
    assert.equal(generated.body.request_id, generated.headers.get('x-request-id'));
    assert.notEqual(generated.headers.get('x-request-id'), replaced.headers.get('x-request-id'), 'each request gets its own');
  });

  it('protected route without credentials → 401 UNAUTHORIZED telling to use X-Api-Key', async () => {
    const reply = await t.request('GET', '/api/v1/credits/balance');
    assertProblem(reply, 401, 'UNAUTHORIZED');
    assert.match(reply.body.message, /X-Api-Key/);
  });

  it('a key in the query string is never accepted', async () => {
    const { key } = await agentKey(t);
    assertProblem(await t.request('GET', `/api/v1/credits/balance?api_key=${key}`), 401, 'UNAUTHORIZED');
    assertProblem(await t.request('GET', `/api/v1/me?x-api-key=${key}`), 401, 'UNAUTHORIZED');
  });

  it('/healthz and /readyz answer 200 when the database (and Redis, when set) answer', async () => {
    assert.deepEqual((await t.request('GET', '/healthz')).body, { status: 'ok' });
    assert.deepEqual((await t.request('GET', '/readyz')).body, { status: 'ready' });
  });
});

describe('HTTP layer: a bad API key is a bad key, whatever is wrong with it', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('broken checksum, unknown key, revoked key and expired key all get the same 401 INVALID_API_KEY body', async () => {
    const { key } = await agentKey(t);
    const { key: revoked } = await agentKey(t);
    const { key: expired } = await agentKey(t);
    const db = t.server.ctx.db;
    await db
      .updateTable('api_keys')
      .set({ revoked_at: Date.now() - 1 })
      .where('last_four', '=', revoked.slice(-4))
      .execute();
    await db
      .updateTable('api_keys')
      .set({ expires_at: Date.now() - 1 })
      .where('last_four', '=', expired.slice(-4))
      .execute();

    const body = key.slice(8, 40);
    const flipped = key.slice(0, 45) + (key[45] === 'A' ? 'B' : 'A'); // checksum no longer matches
    const { generateKey } = await import('../src/keys/format.js');
    const unknown = generateKey('live'); // well-formed, never stored

    const bodies = [];
    for (const bad of [flipped, unknown, revoked, expired, 'fs_live_short', `fs_live_${body}`, 'garbage key !']) {
      const reply = await t.request('GET', '/api/v1/credits/balance', { headers: { 'x-api-key': bad } });
      assert.equal(reply.status, 401, bad);
      const { request_id: _ignored, ...rest } = reply.body;
      bodies.push(JSON.stringify(rest));
    }
    assert.equal(new Set(bodies).size, 1, `bodies differ: ${[...new Set(bodies)].join('\n')}`);
    assert.equal(JSON.parse(bodies[0]!).error_code, 'INVALID_API_KEY');
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).status, 200, 'the good key still works');
  });

  it('the header name is case-insensitive: X-API-Key, x-api-key and X-Api-Key are the same', async () => {
    const { key } = await agentKey(t);
    for (const name of ['X-API-Key', 'x-api-key', 'X-Api-Key']) {
      assert.equal((await t.request('GET', '/api/v1/me', { headers: { [name]: key } })).status, 200, name);
    }
  });
});
