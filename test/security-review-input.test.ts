import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentKey, startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

async function countRows(t: TestServer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['users', 'organizations', 'api_keys', 'agent_otps', 'credit_ledger', 'sessions', 'email_tokens'] as const) {
    const row = await t.server.ctx.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

describe('security review: hostile input', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  // Threat: PostgreSQL refuses text containing U+0000, so a NUL smuggled into any string that reaches
  // a query (an e-mail, a path segment, a key name, a query parameter) turned into a 500 — reachable
  // without signing in. It must be a clear 422 naming the field, on every database, and change nothing.
  it('threat: a NUL character in a body field, a path segment or a query parameter is a 422 naming the field, never a 500', async () => {
    const { key } = await agentKey(t);
    const org = (await t.request('GET', '/api/v1/me', { key })).body.data.organization.id;
    const before = await countRows(t);
    const nul = '\u0000';
    const cases: Array<[string, string, { body?: unknown; key?: string }, string]> = [
      ['POST', '/api/v1/auth/login', { body: { email: `a${nul}b@example.com`, password: 'whatever-it-is' } }, 'email'],
      ['POST', '/api/v1/agent/sign-up', { body: { email: `a${nul}b@example.com` } }, 'email'],
      ['POST', '/api/v1/auth/password/forgot', { body: { email: `a${nul}@example.com` } }, 'email'],
      ['POST', '/api/v1/auth/sign-up', { body: { email: uniqueEmail(), password: `Orbit-Lantern${nul}-Quiet-42` } }, 'password'],
      ['POST', `/api/v1/organizations/${org}/api-keys`, { key, body: { name: `ci${nul}` } }, 'name'],
      ['POST', `/api/v1/organizations/${org}/credits/debits`, { key, body: { amount: 1, reason: `x${nul}`, idempotency_key: 'nul-1' } }, 'reason'],
      ['GET', '/api/v1/organizations/%00/api-keys', { key }, 'params.org'],
      ['GET', `/api/v1/organizations/${org}/api-keys/k%00`, { key }, 'params.id'],
      ['GET', `/api/v1/organizations/${org}/audit-log?actor=%00`, { key }, 'query.actor'],
      ['GET', '/api/v1/credits/balance?organization=%00', { key }, 'query.organization'],
    ];
    for (const [method, path, options, field] of cases) {
      const reply = await t.request(method, path, options);
      assert.equal(reply.status, 422, `${method} ${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.error_code, 'VALIDATION_FAILED');
      assert.ok(reply.body.details.fields[field], `${method} ${path} names ${field}: ${JSON.stringify(reply.body.details)}`);
    }
    // The check walks bodies without recursion: a 1 MiB body nested deeper than the stack is still a 422.
    const deep = await t.request('POST', '/api/v1/agent/sign-up', {
      raw: `{"email":${'['.repeat(200_000)}"a\\u0000"${']'.repeat(200_000)}}`,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deep.status, 422, JSON.stringify(deep.body).slice(0, 300));
    assert.deepEqual(await countRows(t), before, 'nothing was written');
  });

  it('threat: control and bidi characters in e-mail local parts — an address that reads as another (mails, logs, lists) is refused everywhere an address is taken', async () => {
    const { key } = await agentKey(t);
    const org = (await t.request('GET', '/api/v1/me', { key })).body.data.organization.id;
    const before = await countRows(t);
    // "admin\u202Egro.elpmaxe@evil.com" shows as "admin" + "moc.live@example.org" reversed; the others hide or break text.
    for (const local of ['admin\u202Egro', 'ad\u200Bmin', 'a\u200Fb', 'a\u2066b\u2069', 'a\u0007b', 'a\u001b[31mb', 'a\u0085b', 'a\u2028b', 'a\uFEFFb']) {
      const email = `${local}@example.com`;
      for (const [method, path, options] of [
        ['POST', '/api/v1/auth/sign-up', { body: { email, password: 'Orbit-Lantern-Quiet-42' } }],
        ['POST', '/api/v1/agent/sign-up', { body: { email } }],
        ['POST', '/api/v1/auth/password/forgot', { body: { email } }],
        ['POST', `/api/v1/organizations/${org}/invitations`, { key, body: { email, role: 'member' } }],
      ] as const) {
        const reply = await t.request(method, path, options);
        assert.equal(reply.status, 422, `${JSON.stringify(email)} at ${path}: ${JSON.stringify(reply.body)}`);
        assert.match(reply.body.details.fields.email, /control, bidi or other invisible characters/);
      }
    }
    assert.deepEqual(await countRows(t), before, 'nothing was written');
  });
});
