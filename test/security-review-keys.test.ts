import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeyRecord } from '../src/keys/directory.js';
import { announce } from '../src/stamps/stamps.js';
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
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000', FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000', FUNCSPEC_AGENT_VERIFY_PER_IP: '100000' });
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

describe('security review: a key never mints a stronger key', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000', FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000', FUNCSPEC_AGENT_VERIFY_PER_IP: '100000' });
  });
  after(() => t.close());

  const DAY = 86_400_000;

  /** An owner's unbounded agent key, and a bounded key of theirs: ends in a day, allowed only from 127.0.0.0/8. */
  async function boundedKey() {
    const owner = await agentKey(t);
    const org = (await me(t, owner.key)).organization.id;
    const endsAt = new Date(t.clock.now() + DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const made = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, {
      key: owner.key,
      body: { name: 'ci', expires_at: endsAt, allowed_ips: ['127.0.0.0/8'] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return { owner, org, endsAt, bounded: made.body.data.key as string, boundedId: made.body.data.id as string };
  }

  it('threat: a key with an expiry and an allow-list creates a key with neither — the new key inherits both; asking for more is refused', async () => {
    const { org, endsAt, bounded } = await boundedKey();
    const child = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: bounded, body: { name: 'child' } });
    assert.equal(child.status, 201, JSON.stringify(child.body));
    assert.equal(child.body.data.expires_at, endsAt, 'it ends when the key that made it ends');
    assert.deepEqual(child.body.data.allowed_ips, ['127.0.0.0/8'], 'it is allowed from where that key is');

    const later = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, {
      key: bounded,
      body: { name: 'later', expires_at: new Date(t.clock.now() + 2 * DAY).toISOString() },
    });
    assert.equal(later.status, 422, JSON.stringify(later.body));
    assert.equal(later.body.error_code, 'VALIDATION_FAILED');
    assert.match(later.body.details.fields.expires_at, /must not be later than the key making it/);

    const wider = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, {
      key: bounded,
      body: { name: 'wider', allowed_ips: ['0.0.0.0/1', '127.0.0.1'] },
    });
    assert.equal(wider.status, 422, JSON.stringify(wider.body));
    assert.match(wider.body.details.fields.allowed_ips, /0\.0\.0\.0\/1 is outside/);

    const narrower = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, {
      key: bounded,
      body: { name: 'narrower', allowed_ips: ['127.0.0.1'], expires_at: new Date(t.clock.now() + DAY / 2).toISOString() },
    });
    assert.equal(narrower.status, 201, JSON.stringify(narrower.body));
    assert.deepEqual(narrower.body.data.allowed_ips, ['127.0.0.1']);
    const keys = await t.server.ctx.db.selectFrom('api_keys').select('id').where('org_id', '=', org).execute();
    assert.equal(keys.length, 4, 'the refused requests made nothing');
  });

  it('threat: an organization created through a bounded key comes with a key that is not bounded — it is bounded the same way', async () => {
    const { endsAt, bounded } = await boundedKey();
    const created = await t.request('POST', '/api/v1/organizations', { key: bounded, body: { name: 'Spin-off' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const minted = await t.server.ctx.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.data.api_key.id).executeTakeFirstOrThrow();
    assert.equal(new Date(Number(minted.expires_at)).toISOString().replace(/\.\d{3}Z$/, 'Z'), endsAt);
    assert.deepEqual(JSON.parse(minted.allowed_ips!), ['127.0.0.0/8']);
  });

  it('threat: an invitation accepted through a bounded key hands out a key that is not bounded — it is bounded the same way', async () => {
    const inviter = await agentKey(t);
    const team = (await me(t, inviter.key)).organization.id;
    const { owner, bounded } = await boundedKey();
    const invited = await t.request('POST', `/api/v1/organizations/${team}/invitations`, { key: inviter.key, body: { email: owner.email, role: 'member' } });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const mail = await t.mail.waitFor(owner.email, { after: 1 });
    const token = decodeURIComponent(/invitations\/accept\?token=([A-Za-z0-9%_-]+)/.exec(mail.text)![1]!);
    const accepted = await t.request('POST', '/api/v1/invitations/accept', { key: bounded, body: { token } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const minted = await t.server.ctx.db.selectFrom('api_keys').selectAll().where('id', '=', accepted.body.data.api_key.id).executeTakeFirstOrThrow();
    assert.ok(minted.expires_at !== null && Number(minted.expires_at) <= t.clock.now() + DAY);
    assert.deepEqual(JSON.parse(minted.allowed_ips!), ['127.0.0.0/8']);
  });

  it('threat: a bounded key rotates an unbounded key of the same owner and walks away with its new secret — refused; a key may rotate itself', async () => {
    const { owner, org, bounded, boundedId } = await boundedKey();
    const ownerKeyId = (await me(t, owner.key)).api_key.id;
    const refused = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${ownerKeyId}/rotate`, { key: bounded, body: {} });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.details.reason, 'key_attenuation');
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).status, 200, 'the unbounded key was not touched');
    const self = await t.request('POST', `/api/v1/organizations/${org}/api-keys/${boundedId}/rotate`, {
      key: bounded,
      body: { previous_expires_in_seconds: 60 },
    });
    assert.equal(self.status, 201, JSON.stringify(self.body));
    // The old key, now dying in 60 s, makes keys that die with it.
    const child = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: bounded, body: { name: 'last breath' } });
    assert.equal(child.status, 201, JSON.stringify(child.body));
    assert.ok(Date.parse(child.body.data.expires_at) <= t.clock.now() + 61_000, `ends with its maker: ${child.body.data.expires_at}`);
  });
});
