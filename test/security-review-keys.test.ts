import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeyRecord } from '../src/keys/directory.js';
import { announce } from '../src/keys/epoch.js';
import { hashKey } from '../src/keys/format.js';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

async function me(t: TestServer, key: string) {
  return (await t.request('GET', '/api/v1/me', { key })).body.data;
}

async function joinAs(t: TestServer, orgId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
  await t.server.ctx.db.insertInto('memberships').values({ org_id: orgId, user_id: userId, role, created_at: t.clock.now() }).execute();
}

describe('security review: API keys', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000', FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000' });
  });
  after(() => t.close());

  it("threat: privilege escalation — an admin who rotates the owner's (or anyone else's) key would be handed a key acting as that person", async () => {
    const owner = await agentKey(t);
    const ownerView = await me(t, owner.key);
    const org = ownerView.organization.id;
    const admin = await verifiedUser(t);
    await joinAs(t, org, admin.id, 'admin');
    const member = await verifiedUser(t);
    await joinAs(t, org, member.id, 'member');
    const adminCookie = await loginCookie(t, admin.email);
    const memberCookie = await loginCookie(t, member.email);
    const memberKey = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { cookie: memberCookie, body: { name: 'member key' } })).body.data;

    const keysBefore = await t.server.ctx.db.selectFrom('api_keys').select('id').where('org_id', '=', org).execute();
    for (const target of [ownerView.api_key.id, memberKey.id]) {
      const rotated = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${target}/rotate`, { cookie: adminCookie, body: {} });
      assert.equal(rotated.status, 403, JSON.stringify(rotated.body));
      assert.equal(rotated.body.error_code, 'FORBIDDEN');
      assert.equal(rotated.body.data, undefined, 'no key is handed out');
    }
    const keysAfter = await t.server.ctx.db.selectFrom('api_keys').select('id').where('org_id', '=', org).execute();
    assert.equal(keysAfter.length, keysBefore.length, 'no key was minted');
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).status, 200, "the owner's key keeps working");
    assert.equal((await t.request('GET', '/api/v1/me', { key: memberKey.key })).status, 200, "the member's key keeps working");

    // Admins still manage every key by revoking it; and everyone still rotates their own keys.
    const adminKey = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { cookie: adminCookie, body: { name: 'admin key' } })).body.data;
    assert.equal((await t.request('POST', `/api/v1/organizations/${org}/api-keys/${adminKey.id}/rotate`, { cookie: adminCookie, body: {} })).status, 201);
    assert.equal((await t.request('POST', `/api/v1/organizations/${org}/api-keys/${memberKey.id}/rotate`, { cookie: memberCookie, body: {} })).status, 201);
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${ownerView.api_key.id}`, { cookie: adminCookie })).status, 204);
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).status, 401);
  });

  it('threat: a lookup that read the key just before its revocation is cached after it, and the revoked key keeps working', async () => {
    const { key: manager } = await agentKey(t);
    const org = (await me(t, manager)).organization.id;
    const victim = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: manager, body: { name: 'stolen' } })).body.data;
    const directory = t.server.ctx.keys as unknown as { read(hash: string): Promise<KeyRecord | null> };
    const realRead = directory.read.bind(directory);

    // The first lookup of the stolen key reads the database (key still live) and is then held up,
    // like a slow query that started just before the revocation committed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let readStarted!: () => void;
    const started = new Promise<void>((resolve) => (readStarted = resolve));
    let holdNext = true;
    directory.read = async (hash: string) => {
      const record = await realRead(hash);
      if (hash === hashKey(victim.key) && holdNext) {
        holdNext = false;
        readStarted();
        await held;
      }
      return record;
    };
    try {
      t.server.ctx.keys.forget();
      const slow = t.request('GET', '/api/v1/me', { key: victim.key });
      await started;
      assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${victim.id}`, { key: manager })).status, 204);
      // Another request sees the new epoch (and the revocation) before the slow one finishes.
      assert.equal((await t.request('GET', '/api/v1/me', { key: victim.key })).status, 401);
      release();
      await slow; // it began before the revocation: whatever it answers, it must not leave a live entry behind
      for (let i = 0; i < 3; i++) {
        const after = await t.request('GET', '/api/v1/me', { key: victim.key });
        assert.equal(after.status, 401, 'a revoked key must fail on every request after the revocation');
        assert.equal(after.body.error_code, 'INVALID_API_KEY');
      }
    } finally {
      directory.read = realRead;
      release();
    }
  });

  it('threat: Redis loses its data (restart without persistence) after another process revoked a key this one cached: the key stays revoked', async (c) => {
    const redis = t.server.ctx.redis;
    if (!redis) return c.skip('needs REDIS_URL');
    const { key: manager } = await agentKey(t);
    const org = (await me(t, manager)).organization.id;
    const victim = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: manager, body: { name: 'stolen' } })).body.data;
    assert.equal((await t.request('GET', '/api/v1/me', { key: victim.key })).status, 200, 'cached here');
    // Another process revokes it (the change and its announcement in one transaction); then Redis restarts empty.
    await t.server.ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('api_keys').set({ revoked_at: t.clock.now() }).where('id', '=', victim.id).execute();
      await announce(trx, 'auth');
    });
    const ours = await redis.keys(`${t.env.FUNCSPEC_REDIS_PREFIX}*`);
    if (ours.length > 0) await redis.del(...ours);
    const after = await t.request('GET', '/api/v1/me', { key: victim.key });
    assert.equal(after.status, 401, 'the revoked key must not be served from the cache');
  });
});
