import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
});
