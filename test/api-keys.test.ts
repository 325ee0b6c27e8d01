import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../src/keys/format.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

async function orgOf(t: TestServer, key: string): Promise<string> {
  return (await t.request('GET', '/api/v1/me', { key })).body.data.organization.slug;
}

describe('API keys: create, list, view, revoke, rotate', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_USAGE_FLUSH_INTERVAL: '1h' });
  });
  after(() => t.close());

  it('create shows the full key once; list and view never show the key or its hash', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const created = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, {
      key: agent,
      body: { name: 'CI/CD Pipeline', allowed_ips: ['10.1.2.3/8', '::1'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const made = created.body.data;
    assert.match(made.key, /^fs_live_[0-9A-Za-z]{38}$/);
    assert.equal(made.last_four, made.key.slice(-4));
    assert.equal(made.name, 'CI/CD Pipeline');
    assert.equal(made.kind, 'user');
    assert.deepEqual(made.allowed_ips, ['10.0.0.0/8', '::1']);

    const list = await t.request('GET', `/api/v1/organizations/${org}/api-keys`, { key: agent });
    assert.equal(list.status, 200);
    assert.equal(list.body.meta.total, 2, 'the agent key and the new one');
    const text = JSON.stringify(list.body);
    assert.ok(!text.includes(made.key), 'the key is never listed');
    const { hashKey } = await import('../src/keys/format.js');
    assert.ok(!text.includes(hashKey(made.key)), 'nor its hash');
    assert.deepEqual(Object.keys(list.body.data[0]).sort(), [
      'allowed_ips',
      'created_at',
      'created_by',
      'expires_at',
      'id',
      'kind',
      'last_four',
      'last_used_at',
      'last_used_ip',
      'name',
      'project_ids',
      'revoked_at',
      'scopes',
    ]);
    const view = await t.request('GET', `/api/v1/organizations/${org}/api-keys/${made.id}`, { key: agent });
    assert.equal(view.status, 200);
    assert.equal(view.body.data.key, undefined);
  });

  it('revocation: the next request with the key fails (it was cached by a request just before)', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const made = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'doomed' } })).body.data;
    assert.equal((await t.request('GET', '/api/v1/me', { key: made.key })).status, 200);
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${made.id}`, { key: agent })).status, 204);
    const after = await t.request('GET', '/api/v1/me', { key: made.key });
    assert.equal(after.status, 401);
    assert.equal(after.body.error_code, 'INVALID_API_KEY');
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${made.id}`, { key: agent })).status, 204, 'revoking twice is fine');
    const listed = await t.request('GET', `/api/v1/organizations/${org}/api-keys`, { key: agent });
    assert.ok(!listed.body.data.some((k: { id: string }) => k.id === made.id), 'revoked keys are not listed by default');
    const all = await t.request('GET', `/api/v1/organizations/${org}/api-keys?include_revoked=true`, { key: agent });
    assert.ok(all.body.data.find((k: { id: string }) => k.id === made.id).revoked_at);
  });

  it('a key can revoke itself; the very request after that fails', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const me = (await t.request('GET', '/api/v1/me', { key: agent })).body.data.api_key;
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${me.id}`, { key: agent })).status, 204);
    assert.equal((await t.request('GET', '/api/v1/me', { key: agent })).status, 401);
  });

  it('rotation with overlap: both keys work until the deadline, then only the new one', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const old = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'deploy' } })).body.data;
    const rotated = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${old.id}/rotate`, {
      key: agent,
      body: { previous_expires_in_seconds: 3600 },
    });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const fresh = rotated.body.data;
    assert.notEqual(fresh.key, old.key);
    assert.equal(fresh.name, 'deploy');
    assert.equal(fresh.previous.id, old.id);
    assert.equal((await t.request('GET', '/api/v1/me', { key: old.key })).status, 200, 'old key inside the overlap');
    assert.equal((await t.request('GET', '/api/v1/me', { key: fresh.key })).status, 200);
    t.clock.advance(3600_000 + 1000);
    assert.equal((await t.request('GET', '/api/v1/me', { key: old.key })).status, 401, 'old key after the deadline');
    assert.equal((await t.request('GET', '/api/v1/me', { key: fresh.key })).status, 200);
    const again = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${old.id}/rotate`, { key: agent, body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.body.error_code, 'KEY_ALREADY_REVOKED');
  });

  it('rotation without overlap (no body): the old key dies at once', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const old = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'laptop' } })).body.data;
    assert.equal((await t.request('GET', '/api/v1/me', { key: old.key })).status, 200);
    const rotated = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${old.id}/rotate`, { key: agent });
    assert.equal(rotated.status, 201);
    assert.equal((await t.request('GET', '/api/v1/me', { key: old.key })).status, 401);
    assert.equal((await t.request('GET', '/api/v1/me', { key: rotated.body.data.key })).status, 200);
  });

  it('threat: two concurrent rotations of one key make exactly one new key', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const old = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'raced' } })).body.data;
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => t.request('POST', `/api/v1/organizations/${org}/api-keys/${old.id}/rotate`, { key: agent, body: {} })),
    );
    assert.equal(replies.filter((r) => r.status === 201).length, 1, replies.map((r) => r.status).join(','));
    assert.ok(replies.filter((r) => r.status !== 201).every((r) => r.body.error_code === 'KEY_ALREADY_REVOKED'));
  });

  it('an expired key stops working at its expiry', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const expiresAt = new Date(t.clock.now() + 60_000).toISOString();
    const made = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'short', expires_at: expiresAt } })).body.data;
    assert.equal((await t.request('GET', '/api/v1/me', { key: made.key })).status, 200);
    t.clock.advance(61_000);
    assert.equal((await t.request('GET', '/api/v1/me', { key: made.key })).status, 401);
  });

  it('bad input gets 422 and makes no key: empty name, past expiry, bad IPs, overlap too long', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const before = (await t.request('GET', `/api/v1/organizations/${org}/api-keys?include_revoked=true`, { key: agent })).body.meta.total;
    for (const [body, field] of [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{}, 'name'],
      [{ name: 'x', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
      [{ name: 'x', allowed_ips: ['300.1.1.1'] }, 'allowed_ips.0'],
      [{ name: 'x', allowed_ips: ['10.0.0.0/40'] }, 'allowed_ips.0'],
      [{ name: 'x', allowed_ips: ['1.2.3'] }, 'allowed_ips.0'],
      [{ name: 'x', allowed_ips: ['10.0.0.1', 'fe80::1%eth0'] }, 'allowed_ips.1'],
      [{ name: 'x', allowed_ips: 'any' }, 'allowed_ips'],
    ] as const) {
      const reply = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body });
      assert.equal(reply.status, 422, JSON.stringify(body));
      assert.ok(Object.keys(reply.body.details.fields).includes(field), `${JSON.stringify(body)} → ${JSON.stringify(reply.body.details.fields)}`);
    }
    const me = (await t.request('GET', '/api/v1/me', { key: agent })).body.data.api_key;
    const longOverlap = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${me.id}/rotate`, {
      key: agent,
      body: { previous_expires_in_seconds: 8 * 24 * 3600 },
    });
    assert.equal(longOverlap.status, 422);
    const after = (await t.request('GET', `/api/v1/organizations/${org}/api-keys?include_revoked=true`, { key: agent })).body.meta.total;
    assert.equal(after, before);
    assert.equal((await t.request('GET', '/api/v1/me', { key: agent })).status, 200, 'the refused rotation left the key alone');
  });

  it("another organization's keys are invisible: 404 on view, revoke and rotate, and they keep working", async () => {
    const { key: mine } = await agentKey(t);
    const { key: theirs } = await agentKey(t);
    const theirOrg = await orgOf(t, theirs);
    const theirKeyId = (await t.request('GET', '/api/v1/me', { key: theirs })).body.data.api_key.id;
    const myOrg = await orgOf(t, mine);
    assert.equal((await t.request('GET', `/api/v1/organizations/${theirOrg}/api-keys`, { key: mine })).status, 404);
    for (const [method, path] of [
      ['GET', `/api/v1/organizations/${myOrg}/api-keys/${theirKeyId}`],
      ['DELETE', `/api/v1/organizations/${myOrg}/api-keys/${theirKeyId}`],
      ['POST', `/api/v1/organizations/${myOrg}/api-keys/${theirKeyId}/rotate`],
      ['DELETE', `/api/v1/organizations/${theirOrg}/api-keys/${theirKeyId}`],
    ] as const) {
      assert.equal((await t.request(method, path, { key: mine, ...(method === 'POST' ? { body: {} } : {}) })).status, 404, `${method} ${path}`);
    }
    assert.equal((await t.request('GET', '/api/v1/me', { key: theirs })).status, 200);
  });

  it('threat: a spray of random well-formed unknown keys never reaches the database', async (c) => {
    if (t.server.ctx.dbKind === 'postgres' && !t.server.ctx.redis) return c.skip('PostgreSQL without Redis reads every key (documented)');
    const { key } = await agentKey(t);
    await t.request('GET', '/api/v1/me', { key });
    const before = t.server.ctx.keys.lookups;
    const replies = await Promise.all(Array.from({ length: 300 }, () => t.request('GET', '/api/v1/me', { key: generateKey('live') })));
    assert.ok(replies.every((r) => r.status === 401 && r.body.error_code === 'INVALID_API_KEY'));
    // The filter's false-positive rate is about 1 in 10,000: 300 random keys cost no read, give or take one.
    assert.ok(t.server.ctx.keys.lookups - before <= 1, `${t.server.ctx.keys.lookups - before} database reads`);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200);
  });
});

describe('usage monitoring and the audit log', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_USAGE_FLUSH_INTERVAL: '100ms' });
  });
  after(() => t.close());

  it('usage after N requests (some in parallel) reads N once flushed; last_used_at and last_used_ip move', async () => {
    const { key: agent } = await agentKey(t);
    const org = await orgOf(t, agent); // request 1 of the agent key
    const made = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'metered' } })).body.data;
    assert.equal(made.last_used_at, null);
    for (let i = 0; i < 10; i++) await t.request('GET', '/api/v1/me', { key: made.key });
    await Promise.all(Array.from({ length: 25 }, () => t.request('GET', '/api/v1/credits/balance', { key: made.key })));
    await Promise.all(Array.from({ length: 5 }, () => t.request('GET', '/api/v1/organizations/nope/api-keys', { key: made.key }))); // 404s
    await new Promise((r) => setTimeout(r, 400)); // a few flush intervals

    const usage = await t.request('GET', `/api/v1/organizations/${org}/usage?key_id=${made.id}`, { key: agent });
    assert.equal(usage.status, 200, JSON.stringify(usage.body));
    assert.equal(usage.body.meta.total_requests, 40);
    assert.equal(usage.body.data.length, 1);
    assert.deepEqual(usage.body.data[0].by_status, { '2xx': 35, '3xx': 0, '4xx': 5, '5xx': 0 });

    const view = (await t.request('GET', `/api/v1/organizations/${org}/api-keys/${made.id}`, { key: agent })).body.data;
    assert.equal(view.usage_24h.requests, 40);
    assert.ok(view.last_used_at, 'last_used_at moved');
    assert.equal(view.last_used_ip, '127.0.0.1');
    const all = await t.request('GET', `/api/v1/organizations/${org}/usage`, { key: agent });
    assert.ok(
      all.body.data.some((row: { key_id: string }) => row.key_id !== made.id),
      'the agent key is in the report too',
    );
  });

  it('the audit log records key create, rotate and revoke with actor, IP, user agent and outcome — and no secret', async () => {
    const { email, key: agent } = await agentKey(t);
    const org = await orgOf(t, agent);
    const ua = { 'user-agent': 'audit-test/1.0' };
    const made = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, headers: ua, body: { name: 'audited' } })).body.data;
    const rotated = (await t.request('POST', `/api/v1/organizations/${org}/api-keys/${made.id}/rotate`, { key: agent, headers: ua, body: {} })).body.data;
    await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${rotated.id}`, { key: agent, headers: ua });

    const log = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=api_key.*`, { key: agent });
    assert.equal(log.status, 200);
    const actions = log.body.data.map((e: { action: string }) => e.action);
    assert.deepEqual(actions.slice(0, 3), ['api_key.revoked', 'api_key.rotated', 'api_key.created']);
    for (const entry of log.body.data.slice(0, 3)) {
      assert.equal(entry.actor.email, email);
      assert.ok(entry.actor.api_key_id);
      assert.equal(entry.ip, '127.0.0.1');
      assert.equal(entry.user_agent, 'audit-test/1.0');
      assert.equal(entry.outcome, 'success');
    }
    const text = JSON.stringify(log.body);
    for (const secret of [made.key, rotated.key, agent]) assert.ok(!text.includes(secret), 'no key in the audit log');

    const filtered = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=api_key.rotated&actor=${encodeURIComponent(email)}`, { key: agent });
    assert.equal(filtered.body.meta.total, 1);
    const none = await t.request('GET', `/api/v1/organizations/${org}/audit-log?from=2099-01-01T00:00:00Z`, { key: agent });
    assert.equal(none.body.meta.total, 0);
    const bad = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=DROP TABLE`, { key: agent });
    assert.equal(bad.status, 422);
  });
});
