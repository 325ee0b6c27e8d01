import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { accept, invitationToken, inviteByMail, joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);

async function auditActions(t: TestServer, orgId: string): Promise<string[]> {
  const rows = await t.server.ctx.db.selectFrom('audit_log').select('action').where('org_id', '=', orgId).orderBy('created_at').execute();
  return rows.map((r) => r.action);
}

describe('organizations: create, list, rename, delete', () => {
  let t: TestServer;
  let founder: Person;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    founder = await newPerson(t, 'founder');
  });
  after(() => t.close());

  it('the creator of an organization is its owner; it is reachable by id and by slug', async () => {
    const created = await t.request('POST', '/api/v1/organizations', { key: founder.key, body: { name: 'Acme Rockets', slug: 'acme-rockets' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.data.role, 'owner');
    assert.equal(created.body.data.slug, 'acme-rockets');
    assert.equal(created.body.data.plan, 'free');
    const members = await t.server.ctx.db.selectFrom('memberships').selectAll().where('org_id', '=', created.body.data.id).execute();
    assert.deepEqual(
      members.map((m) => [m.user_id, m.role]),
      [[founder.userId, 'owner']],
    );
    assert.ok((await auditActions(t, created.body.data.id)).includes('organization.created'));
    // The founder's key belongs to their personal organization; the answer carries a key for the new one.
    const key = created.body.data.api_key.key;
    assert.match(key, /^fs_live_[0-9A-Za-z]{38}$/);
    const me = await t.request('GET', '/api/v1/me', { key });
    assert.equal(me.body.data.organization.id, created.body.data.id);
    assert.equal(me.body.data.role, 'owner');
    assertProblem(await t.request('GET', `/api/v1/organizations/${created.body.data.id}`, { key: founder.key }), 404, 'NOT_FOUND');
  });

  it('a slug is generated from the name when none is given, and a taken slug is a 409 SLUG_TAKEN', async () => {
    const generated = await t.request('POST', '/api/v1/organizations', { key: founder.key, body: { name: 'Über Widgets, Inc.' } });
    assert.equal(generated.status, 201);
    assert.equal(generated.body.data.slug, 'uber-widgets-inc');
    const again = await t.request('POST', '/api/v1/organizations', { key: founder.key, body: { name: 'Über Widgets, Inc.' } });
    assert.equal(again.status, 201);
    assert.match(again.body.data.slug, /^uber-widgets-inc-[a-z0-9]{6}$/);
    const taken = await t.request('POST', '/api/v1/organizations', { key: founder.key, body: { name: 'Other', slug: 'uber-widgets-inc' } });
    assertProblem(taken, 409, 'SLUG_TAKEN');
  });

  it("GET /organizations with an API key lists only the key's organization; GET /organizations/:org by id or slug", async () => {
    const list = await t.request('GET', '/api/v1/organizations', { key: founder.key });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((o: any) => o.id),
      [founder.personalOrgId],
    );
    assert.deepEqual(list.body.meta, { total: 1, page: 1, per: 25 });
    const byId = await t.request('GET', `/api/v1/organizations/${founder.personalOrgId}`, { key: founder.key });
    const bySlug = await t.request('GET', `/api/v1/organizations/${byId.body.data.slug}`, { key: founder.key });
    assert.equal(byId.status, 200);
    assert.deepEqual(bySlug.body.data, byId.body.data);
  });

  it('rename (admin+) and allowed_ips are validated and canonicalised; bad input changes nothing', async () => {
    const org = founder.personalOrgId;
    const renamed = await t.request('PATCH', `/api/v1/organizations/${org}`, {
      key: founder.key,
      body: { name: 'Renamed', allowed_ips: ['127.0.0.0/8', '2001:db8:0:0::1', '::1'] },
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.data.name, 'Renamed');
    assert.deepEqual(renamed.body.data.allowed_ips, ['127.0.0.0/8', '2001:db8::1', '::1']);
    for (const body of [
      { allowed_ips: ['1.2.3.4/33'] },
      { allowed_ips: ['localhost'] },
      { name: '' },
      { name: 'x'.repeat(101) },
      {},
      { plan: 'enterprise' },
      { slug: 'Not A Slug' },
    ]) {
      const bad = await t.request('PATCH', `/api/v1/organizations/${org}`, { key: founder.key, body });
      assertProblem(bad, 422, 'VALIDATION_FAILED');
      assert.ok(bad.body.details.fields, JSON.stringify(bad.body));
    }
    const now = await t.request('GET', `/api/v1/organizations/${org}`, { key: founder.key });
    assert.equal(now.body.data.name, 'Renamed');
    assert.equal(now.body.data.plan, 'free');
    const cleared = await t.request('PATCH', `/api/v1/organizations/${org}`, { key: founder.key, body: { allowed_ips: null } });
    assert.deepEqual(cleared.body.data.allowed_ips, []);
  });

  it("an organization allow-list and its name count for the organization's keys from the very next request", async () => {
    const owner = await newPerson(t, 'fenced');
    const org = owner.personalOrgId;
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).status, 200);
    await t.request('PATCH', `/api/v1/organizations/${org}`, { key: owner.key, body: { name: 'Fresh name' } });
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).body.data.organization.name, 'Fresh name');
    const fenced = await t.request('PATCH', `/api/v1/organizations/${org}`, { key: owner.key, body: { allowed_ips: ['203.0.113.0/24'] } });
    assert.equal(fenced.status, 200);
    assertProblem(await t.request('GET', '/api/v1/me', { key: owner.key }), 403, 'IP_NOT_ALLOWED');
  });

  it('only the owner deletes an organization; afterwards it is gone and its keys are dead', async () => {
    const owner = await newPerson(t, 'deleter');
    const admin = await joinOrg(t, { key: owner.key }, owner.personalOrgId, 'admin');
    const denied = await t.request('DELETE', `/api/v1/organizations/${owner.personalOrgId}`, { key: admin.key });
    assertProblem(denied, 403, 'FORBIDDEN');
    const deleted = await t.request('DELETE', `/api/v1/organizations/${owner.personalOrgId}`, { key: owner.key });
    assert.equal(deleted.status, 204);
    assertProblem(await t.request('GET', `/api/v1/organizations/${owner.personalOrgId}`, { key: admin.personalKey }), 404, 'NOT_FOUND');
    assertProblem(await t.request('GET', '/api/v1/me', { key: admin.key }), 401, 'INVALID_API_KEY');
    assert.ok((await auditActions(t, owner.personalOrgId)).includes('organization.deleted'));
  });
});

describe('members: roles, removal, leaving, ownership', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
  });
  after(() => t.close());

  it('a user can be in many organizations with a different role in each', async () => {
    const a = await newPerson(t, 'org-a');
    const b = await newPerson(t, 'org-b');
    const someone = await newPerson(t, 'multi');
    const inA = await inviteByMail(t, { key: a.key }, a.personalOrgId, someone.email, 'admin');
    const inB = await inviteByMail(t, { key: b.key }, b.personalOrgId, someone.email, 'member');
    const keyA = (await accept(t, someone.key, inA.token)).body.data.api_key.key;
    const keyB = (await accept(t, someone.key, inB.token)).body.data.api_key.key;
    const roles = await Promise.all([someone.key, keyA, keyB].map((key) => t.request('GET', '/api/v1/me', { key })));
    assert.deepEqual(
      roles.map((r) => [r.body.data.organization.id, r.body.data.role]),
      [
        [someone.personalOrgId, 'owner'],
        [a.personalOrgId, 'admin'],
        [b.personalOrgId, 'member'],
      ],
    );
  });

  it('admins manage members but cannot make, unmake or remove owners; nobody raises their own role', async () => {
    const owner = await newPerson(t, 'owner');
    const org = owner.personalOrgId;
    const admin = await joinOrg(t, { key: owner.key }, org, 'admin');
    const member = await joinOrg(t, { key: owner.key }, org, 'member');
    const path = (p: Person) => `/api/v1/organizations/${org}/members/${p.userId}`;

    assertProblem(await t.request('PATCH', path(member), { key: admin.key, body: { role: 'owner' } }), 403, 'FORBIDDEN');
    assertProblem(await t.request('PATCH', path(owner), { key: admin.key, body: { role: 'member' } }), 403, 'FORBIDDEN');
    assertProblem(await t.request('DELETE', path(owner), { key: admin.key }), 403, 'FORBIDDEN');
    assertProblem(await t.request('PATCH', path(admin), { key: admin.key, body: { role: 'owner' } }), 403, 'FORBIDDEN');
    assertProblem(await t.request('PATCH', path(member), { key: member.key, body: { role: 'admin' } }), 403, 'FORBIDDEN');

    const promoted = await t.request('PATCH', path(member), { key: admin.key, body: { role: 'admin' } });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.data.role, 'admin');
    const demoted = await t.request('PATCH', path(member), { key: admin.key, body: { role: 'member' } });
    assert.equal(demoted.body.data.role, 'member');

    const list = await t.request('GET', `/api/v1/organizations/${org}/members`, { key: member.key });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((m: any) => [m.user.email, m.role]),
      [
        [owner.email, 'owner'],
        [admin.email, 'admin'],
        [member.email, 'member'],
      ],
    );
    assert.equal(list.body.meta.total, 3);
    const actions = await auditActions(t, org);
    assert.equal(actions.filter((a) => a === 'member.role_changed').length, 2);
    assert.equal(actions.filter((a) => a === 'invitation.created').length, 2);
    assert.equal(actions.filter((a) => a === 'invitation.accepted').length, 2);
    assert.equal(actions.filter((a) => a === 'member.added').length, 2);
  });

  it('the last owner can neither step down nor leave (409 LAST_OWNER); with a second owner they can', async () => {
    const owner = await newPerson(t, 'sole');
    const org = owner.personalOrgId;
    const self = `/api/v1/organizations/${org}/members/${owner.userId}`;
    assertProblem(await t.request('PATCH', self, { key: owner.key, body: { role: 'admin' } }), 409, 'LAST_OWNER');
    assertProblem(await t.request('DELETE', self, { key: owner.key }), 409, 'LAST_OWNER');
    const second = await joinOrg(t, { key: owner.key }, org, 'owner');
    const stepDown = await t.request('PATCH', self, { key: owner.key, body: { role: 'admin' } });
    assert.equal(stepDown.status, 200);
    assertProblem(await t.request('DELETE', `/api/v1/organizations/${org}/members/${second.userId}`, { key: second.key }), 409, 'LAST_OWNER');
  });

  it('two owners demoting each other and leaving at the same moment never leave the organization without an owner', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await newPerson(t, 'race');
      const org = a.personalOrgId;
      const b = await joinOrg(t, { key: a.key }, org, 'owner');
      const replies = await Promise.all([
        t.request('PATCH', `/api/v1/organizations/${org}/members/${b.userId}`, { key: a.key, body: { role: 'member' } }),
        t.request('PATCH', `/api/v1/organizations/${org}/members/${a.userId}`, { key: b.key, body: { role: 'member' } }),
        t.request('DELETE', `/api/v1/organizations/${org}/members/${a.userId}`, { key: a.key }),
        t.request('DELETE', `/api/v1/organizations/${org}/members/${b.userId}`, { key: b.key }),
      ]);
      for (const r of replies) assert.ok([200, 204, 401, 403, 404, 409].includes(r.status), JSON.stringify(r.body));
      const owners = await t.server.ctx.db.selectFrom('memberships').select('user_id').where('org_id', '=', org).where('role', '=', 'owner').execute();
      assert.ok(owners.length >= 1, `round ${round}: no owner left`);
    }
  });

  it('ownership transfer: the target becomes owner, the old owner admin; only the owner may do it', async () => {
    const owner = await newPerson(t, 'transfer');
    const org = owner.personalOrgId;
    const admin = await joinOrg(t, { key: owner.key }, org, 'admin');
    const member = await joinOrg(t, { key: owner.key }, org, 'member');
    assertProblem(
      await t.request('POST', `/api/v1/organizations/${org}/transfer-ownership`, { key: admin.key, body: { user_id: admin.userId } }),
      403,
      'FORBIDDEN',
    );
    assertProblem(
      await t.request('POST', `/api/v1/organizations/${org}/transfer-ownership`, { key: owner.key, body: { user_id: owner.userId } }),
      409,
      'ALREADY_OWNER',
    );
    const outsider = await newPerson(t, 'outsider');
    assertProblem(
      await t.request('POST', `/api/v1/organizations/${org}/transfer-ownership`, { key: owner.key, body: { user_id: outsider.userId } }),
      404,
      'MEMBER_NOT_FOUND',
    );
    const moved = await t.request('POST', `/api/v1/organizations/${org}/transfer-ownership`, { key: owner.key, body: { user_id: member.userId } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.data.role, 'owner');
    const roles = await t.request('GET', `/api/v1/organizations/${org}/members`, { key: member.key });
    assert.deepEqual(Object.fromEntries(roles.body.data.map((m: any) => [m.user.id, m.role])), {
      [owner.userId]: 'admin',
      [admin.userId]: 'admin',
      [member.userId]: 'owner',
    });
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).body.data.role, 'admin');
    assert.ok((await auditActions(t, org)).includes('organization.ownership_transferred'));
  });

  it("a member can leave; a removed member's keys are revoked and do not come back when re-invited", async () => {
    const owner = await newPerson(t, 'remover');
    const org = owner.personalOrgId;
    const leaver = await joinOrg(t, { key: owner.key }, org, 'member');
    const left = await t.request('DELETE', `/api/v1/organizations/${org}/members/${leaver.userId}`, { key: leaver.key });
    assert.equal(left.status, 204);
    assertProblem(await t.request('GET', '/api/v1/me', { key: leaver.key }), 401, 'INVALID_API_KEY');

    const removed = await joinOrg(t, { key: owner.key }, org, 'member');
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/members/${removed.userId}`, { key: owner.key })).status, 204);
    assertProblem(await t.request('GET', '/api/v1/me', { key: removed.key }), 401, 'INVALID_API_KEY');
    const { token } = await inviteByMail(t, { key: owner.key }, org, removed.email, 'member');
    assert.equal((await accept(t, removed.personalKey, token)).status, 200);
    assertProblem(await t.request('GET', '/api/v1/me', { key: removed.key }), 401, 'INVALID_API_KEY');
    const actions = await auditActions(t, org);
    assert.ok(actions.includes('member.left') && actions.includes('member.removed'));
  });
});

describe('invitations by e-mail', () => {
  let t: TestServer;
  let owner: Person;
  before(async () => {
    t = await startTestServer({ ...MANY_AGENTS, PUBLIC_URL: 'https://funcspec.example.com' });
    owner = await newPerson(t, 'inviter');
  });
  after(() => t.close());
  const invitations = () => `/api/v1/organizations/${owner.personalOrgId}/invitations`;

  it("mails PUBLIC_URL/invitations/accept?token=…; only the token's hash is stored; the invitee joins with the invited role", async () => {
    const invitee = await newPerson(t, 'invitee');
    const { id, token } = await inviteByMail(t, { key: owner.key }, owner.personalOrgId, invitee.email, 'admin');
    const mail = t.mail.to(invitee.email).at(-1)!;
    assert.ok(mail.text.includes(`https://funcspec.example.com/invitations/accept?token=${token}`), mail.text);
    const row = await t.server.ctx.db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(token), 'the token itself is not stored');

    const pending = await t.request('GET', invitations(), { key: owner.key });
    assert.deepEqual(
      pending.body.data.map((i: any) => [i.email, i.role, i.status]),
      [[invitee.email, 'admin', 'pending']],
    );

    const accepted = await accept(t, invitee.personalKey, token);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.data.role, 'admin');
    assert.equal(accepted.body.data.organization.id, owner.personalOrgId);
    const me = await t.request('GET', '/api/v1/me', { key: accepted.body.data.api_key.key });
    assert.equal(me.body.data.organization.id, owner.personalOrgId);
    assert.equal(me.body.data.role, 'admin');
    assertProblem(await accept(t, invitee.personalKey, token), 400, 'INVITATION_INVALID');
    assert.equal((await t.request('GET', invitations(), { key: owner.key })).body.meta.total, 0);
  });

  it('only the person whose verified e-mail was invited can accept; the accepter cannot pick the role', async () => {
    const invitee = await newPerson(t, 'rightful');
    const intruder = await newPerson(t, 'intruder');
    const { token } = await inviteByMail(t, { key: owner.key }, owner.personalOrgId, invitee.email, 'member');
    assertProblem(await accept(t, intruder.key, token), 403, 'INVITATION_EMAIL_MISMATCH');
    const withRole = await t.request('POST', '/api/v1/invitations/accept', { key: invitee.key, body: { token, role: 'owner' } });
    assertProblem(withRole, 422, 'VALIDATION_FAILED');
    const ok = await accept(t, invitee.key, token);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.role, 'member');
  });

  it('a concurrent double accept makes exactly one membership', async () => {
    const invitee = await newPerson(t, 'double');
    const { token } = await inviteByMail(t, { key: owner.key }, owner.personalOrgId, invitee.email, 'member');
    const replies = await Promise.all(Array.from({ length: 12 }, () => accept(t, invitee.key, token)));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, JSON.stringify(replies.map((r) => r.body.error_code ?? r.status)));
    for (const r of replies.filter((x) => x.status !== 200)) assert.ok(['INVITATION_INVALID', 'ALREADY_MEMBER'].includes(r.body.error_code));
    const rows = await t.server.ctx.db
      .selectFrom('memberships')
      .select('user_id')
      .where('org_id', '=', owner.personalOrgId)
      .where('user_id', '=', invitee.userId)
      .execute();
    assert.equal(rows.length, 1);
    const keys = await t.server.ctx.db
      .selectFrom('api_keys')
      .select('id')
      .where('org_id', '=', owner.personalOrgId)
      .where('user_id', '=', invitee.userId)
      .execute();
    assert.equal(keys.length, 1, 'one key minted, by the one accept that won');
  });

  it('inviting an existing member is a 409 ALREADY_MEMBER; unknown roles and owner invitations are 422', async () => {
    assertProblem(await t.request('POST', invitations(), { key: owner.key, body: { email: owner.email, role: 'member' } }), 409, 'ALREADY_MEMBER');
    for (const role of ['owner', 'superuser', '', 'ADMIN']) {
      assertProblem(await t.request('POST', invitations(), { key: owner.key, body: { email: 'new@example.com', role } }), 422, 'VALIDATION_FAILED');
    }
    assertProblem(await t.request('POST', invitations(), { key: owner.key, body: { email: 'not-an-email', role: 'member' } }), 422, 'VALIDATION_FAILED');
    const rows = await t.server.ctx.db.selectFrom('invitations').select('id').where('email', '=', 'new@example.com').execute();
    assert.equal(rows.length, 0);
  });

  it('concurrent invitations to one address leave exactly one open invitation, whose link works', async () => {
    const invitee = await newPerson(t, 'many-invites');
    const before = t.mail.to(invitee.email).length;
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.request('POST', invitations(), { key: owner.key, body: { email: invitee.email, role: i % 2 ? 'admin' : 'member' } }),
      ),
    );
    for (const r of replies) assert.ok(r.status === 201 || r.body.error_code === 'INVITATION_PENDING', JSON.stringify(r.body));
    const open = await t.server.ctx.db
      .selectFrom('invitations')
      .selectAll()
      .where('email', '=', invitee.email)
      .where('accepted_at', 'is', null)
      .where('canceled_at', 'is', null)
      .execute();
    assert.equal(open.length, 1);
    const sent = replies.filter((r) => r.status === 201).length;
    await t.mail.waitFor(invitee.email, { after: before + sent - 1 });
    const tokens = t.mail.to(invitee.email).slice(before).map(invitationToken);
    const results = [];
    for (const token of tokens) results.push((await accept(t, invitee.key, token)).status);
    assert.deepEqual(results.filter((s) => s === 200).length, 1, JSON.stringify(results));
    const joined = await t.request('GET', `/api/v1/organizations/${owner.personalOrgId}/members/${invitee.userId}`, { key: owner.key });
    assert.equal(joined.body.data.role, open[0]!.role);
  });

  it('invitations expire after 7 days', async () => {
    const invitee = await newPerson(t, 'late');
    const { token } = await inviteByMail(t, { key: owner.key }, owner.personalOrgId, invitee.email, 'member');
    t.clock.advance(7 * 24 * 3_600_000 + 1000);
    try {
      assertProblem(await accept(t, invitee.key, token), 400, 'INVITATION_INVALID');
      assert.equal(
        (await t.request('GET', invitations(), { key: owner.key })).body.data.some((i: any) => i.email === invitee.email),
        false,
      );
    } finally {
      t.clock.advance(-(7 * 24 * 3_600_000 + 1000));
    }
  });

  it('a canceled invitation and a replaced one no longer work; members cannot see or make invitations', async () => {
    const invitee = await newPerson(t, 'canceled');
    const first = await inviteByMail(t, { key: owner.key }, owner.personalOrgId, invitee.email, 'member');
    const second = await inviteByMail(t, { key: owner.key }, owner.personalOrgId, invitee.email, 'admin');
    assertProblem(await accept(t, invitee.key, first.token), 400, 'INVITATION_INVALID');
    assert.equal((await t.request('DELETE', `${invitations()}/${second.id}`, { key: owner.key })).status, 204);
    assertProblem(await t.request('DELETE', `${invitations()}/${second.id}`, { key: owner.key }), 409, 'INVITATION_NOT_PENDING');
    assertProblem(await accept(t, invitee.key, second.token), 400, 'INVITATION_INVALID');
    assertProblem(await accept(t, invitee.key, 'x'.repeat(43)), 400, 'INVITATION_INVALID');

    const member = await joinOrg(t, { key: owner.key }, owner.personalOrgId, 'member');
    assertProblem(await t.request('GET', invitations(), { key: member.key }), 403, 'FORBIDDEN');
    assertProblem(await t.request('POST', invitations(), { key: member.key, body: { email: 'x@example.com', role: 'member' } }), 403, 'FORBIDDEN');
    const actions = await auditActions(t, owner.personalOrgId);
    assert.ok(actions.includes('invitation.canceled'));
  });
});

describe('billing view', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
  });
  after(() => t.close());

  it('the owner sees plan, rate limit and credits; an admin gets 403; set-plan changes what it shows', async () => {
    const owner = await newPerson(t, 'payer');
    const org = owner.personalOrgId;
    const admin = await joinOrg(t, { key: owner.key }, org, 'admin');
    const billing = await t.request('GET', `/api/v1/organizations/${org}/billing`, { key: owner.key });
    assert.equal(billing.status, 200, JSON.stringify(billing.body));
    assert.deepEqual(billing.body.data, {
      plan: 'free',
      rate_limit: { requests_per_hour: 1000 },
      credits: { total_credits: 100, credits_used: 0, credits_left: 100 },
    });
    assertProblem(await t.request('GET', `/api/v1/organizations/${org}/billing`, { key: admin.key }), 403, 'FORBIDDEN');

    await run(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/cli/main.ts').then((m) => m.main(['admin', 'org', 'set-plan', '${org}', 'enterprise', '--rate-limit', '5000']))`,
      ],
      {
        env: { ...process.env, ...t.env, PORT: '0' },
      },
    );
    const after = await t.request('GET', `/api/v1/organizations/${org}/billing`, { key: owner.key });
    assert.equal(after.body.data.plan, 'enterprise');
    assert.equal(after.body.data.rate_limit.requests_per_hour, 5000);
    assert.equal(after.headers.get('x-ratelimit-limit'), '5000');
  });
});
