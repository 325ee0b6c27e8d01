import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { announce } from '../src/stamps/stamps.js';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { inviteByMail, joinOrg, MANY_AGENTS, newPerson } from './helpers/orgs.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

describe('security review: invitation mails', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ ...MANY_AGENTS, FUNCSPEC_INVITATIONS_PER_ORG: '3', FUNCSPEC_INVITATIONS_PER_EMAIL: '2', FUNCSPEC_SESSION_RATE_LIMIT: '40' });
  });
  after(() => t.close());

  const invite = (key: string, org: string, email: string) =>
    t.request('POST', `/api/v1/organizations/${org}/invitations`, { key, body: { email, role: 'member' } });

  it('threat: mail-bombing and phishing through invitations — an organization sends FUNCSPEC_INVITATIONS_PER_ORG an hour, then 429 and no mail', async () => {
    const admin = await newPerson(t, 'bomber');
    const targets = [uniqueEmail('t1'), uniqueEmail('t2'), uniqueEmail('t3'), uniqueEmail('t4')];
    const statuses = [];
    for (const email of targets) statuses.push((await invite(admin.key, admin.personalOrgId, email)).status);
    assert.deepEqual(statuses, [201, 201, 201, 429]);
    const refused = await invite(admin.key, admin.personalOrgId, uniqueEmail('t5'));
    assert.equal(refused.body.error_code, 'RATE_LIMITED');
    assert.equal(String(refused.body.details.retry_after_seconds), refused.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.mail.to(targets[3]!).length, 0, 'no mail went to the fourth address');
  });

  it('threat: one address bombed from many organizations — FUNCSPEC_INVITATIONS_PER_EMAIL invitations a day reach it, whoever sends them', async () => {
    const victim = uniqueEmail('victim');
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const admin = await newPerson(t, `org${i}`);
      statuses.push((await invite(admin.key, admin.personalOrgId, victim)).status);
    }
    assert.deepEqual(statuses, [201, 201, 429]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.mail.to(victim).length, 2);
  });

  it('threat: one person spreading invitations over many organizations of their own — the inviter has the same hourly allowance', async () => {
    const admin = await newPerson(t, 'spreader');
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const org = (await t.request('POST', '/api/v1/organizations', { key: admin.key, body: { name: `Shell ${i}` } })).body.data;
      statuses.push((await invite(org.api_key.key, org.id, uniqueEmail(`spread${i}`))).status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 429]);
  });

  it('threat: flooding the server with a browser session — a session has FUNCSPEC_SESSION_RATE_LIMIT requests an hour, then 429 with Retry-After', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await t.request('GET', '/api/v1/auth/session', { cookie })).status);
    assert.deepEqual(statuses.slice(0, 40), Array(40).fill(200));
    const limited = await t.request('GET', '/api/v1/organizations', { cookie });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error_code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });
});

describe('security review: what a removed or demoted member leaves behind', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
  });
  after(() => t.close());

  it('threat: invitations outlive the admin who sent them — removing or demoting an admin cancels the invitations they could no longer send', async () => {
    const owner = await newPerson(t, 'owner');
    const org = owner.personalOrgId;
    const removed = await joinOrg(t, { key: owner.key }, org, 'admin', 'removed-admin');
    const demoted = await joinOrg(t, { key: owner.key }, org, 'admin', 'demoted-admin');
    const stays = await joinOrg(t, { key: owner.key }, org, 'admin', 'staying-admin');
    const fromRemoved = await inviteByMail(t, { key: removed.key }, org, uniqueEmail('by-removed'), 'admin');
    const fromDemoted = await inviteByMail(t, { key: demoted.key }, org, uniqueEmail('by-demoted'), 'member');
    const fromStaying = await inviteByMail(t, { key: stays.key }, org, uniqueEmail('by-staying'), 'member');

    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/members/${removed.userId}`, { key: owner.key })).status, 204);
    assert.equal(
      (await t.request('PATCH', `/api/v1/organizations/${org}/members/${demoted.userId}`, { key: owner.key, body: { role: 'member' } })).status,
      200,
    );

    const pending = (await t.request('GET', `/api/v1/organizations/${org}/invitations`, { key: owner.key })).body.data.map((i: { id: string }) => i.id);
    assert.deepEqual(pending, [fromStaying.id], "only the staying admin's invitation is still pending");
    for (const { token } of [fromRemoved, fromDemoted]) {
      const someone = await newPerson(t, 'late');
      const accepted = await t.request('POST', '/api/v1/invitations/accept', { key: someone.key, body: { token } });
      assert.equal(accepted.body.error_code, 'INVITATION_INVALID');
    }
    const audit = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=invitation.canceled`, { key: owner.key });
    assert.deepEqual(audit.body.data.map((e: { details: { reason: string } }) => e.details.reason).sort(), ['inviter_demoted', 'inviter_removed']);
  });

  it('threat: a key made while its owner is being removed survives the removal — after 10 rounds of 15 key creations racing a removal, the removed member holds no live key', async () => {
    const owner = await newPerson(t, 'race-owner');
    const org = owner.personalOrgId;
    for (let round = 0; round < 10; round++) {
      const user = await verifiedUser(t);
      const cookie = await loginCookie(t, user.email);
      await t.server.ctx.db.insertInto('memberships').values({ org_id: org, user_id: user.id, role: 'member', created_at: t.clock.now() }).execute();
      await announce(t.server.ctx.db, 'auth');
      const creations = Array.from({ length: 15 }, (_, i) =>
        t.request('POST', `/api/v1/organizations/${org}/api-keys`, { cookie, body: { name: `racing ${i}` } }),
      );
      const removal = t.request('DELETE', `/api/v1/organizations/${org}/members/${user.id}`, { key: owner.key });
      const replies = await Promise.all([...creations, removal]);
      assert.equal(replies.at(-1)!.status, 204);
      for (const reply of replies.slice(0, -1)) assert.ok([201, 404].includes(reply.status), `${reply.status} ${JSON.stringify(reply.body)}`);
      const live = await t.server.ctx.db
        .selectFrom('api_keys')
        .select(['id', 'name'])
        .where('org_id', '=', org)
        .where('user_id', '=', user.id)
        .where('revoked_at', 'is', null)
        .execute();
      assert.deepEqual(live, [], `round ${round}: every key of the removed member is revoked`);
      for (const reply of replies.slice(0, -1).filter((r) => r.status === 201)) {
        assert.equal((await t.request('GET', '/api/v1/me', { key: reply.body.data.key })).status, 401, 'and none of the keys made in the race works');
      }
    }
  });
});
