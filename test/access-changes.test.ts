/**
 * Role changes take effect on the very next request. Threat: a demoted or removed member keeps powers
 * they no longer have — through a key, through a project role inherited from their org role, or through
 * requests already in flight when the change lands.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accept, addToTeam, createProject, inviteByMail, joinOrg, MANY_AGENTS, newPerson, webPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

describe('demoting or removing a member takes effect on their very next request, keys included', () => {
  let t: TestServer;
  let owner: Person;
  let org: string;
  let project: any;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    owner = await newPerson(t, 'boss');
    org = owner.personalOrgId;
    project = await createProject(t, { key: owner.key }, { name: 'Guarded' });
  });
  after(() => t.close());

  const invite = (key: string) => t.request('POST', `/api/v1/organizations/${org}/invitations`, { key, body: { email: uniqueEmail('next'), role: 'member' } });

  it("an admin demoted to member: the next request with their key is a member's (no member management, no implicit project admin)", async () => {
    const admin = await joinOrg(t, { key: owner.key }, org, 'admin');
    assert.equal((await invite(admin.key)).status, 201);
    assert.equal((await t.request('GET', `/api/v1/projects/${project.id}`, { key: admin.key })).status, 200);
    const demoted = await t.request('PATCH', `/api/v1/organizations/${org}/members/${admin.userId}`, { key: owner.key, body: { role: 'member' } });
    assert.equal(demoted.status, 200);
    assertProblem(await invite(admin.key), 403, 'FORBIDDEN');
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, { key: admin.key }), 403, 'FORBIDDEN');
    assert.equal((await t.request('GET', '/api/v1/me', { key: admin.key })).body.data.role, 'member');
    assert.equal((await t.request('GET', '/api/v1/projects', { key: admin.key })).body.meta.total, 0);
  });

  it('a project editor demoted to viewer, then taken off the team: each change counts from the next request', async () => {
    const editor = await joinOrg(t, { key: owner.key }, org, 'member', 'editor');
    await addToTeam(t, { key: owner.key }, project.id, editor.userId, 'editor');
    const items = `/api/v1/projects/${project.id}/spec/items`;
    assert.equal((await t.request('POST', items, { key: editor.key, body: { type_of: 'functional', title: 'ok' } })).status, 201);
    await t.request('PATCH', `/api/v1/projects/${project.id}/members/${editor.userId}`, { key: owner.key, body: { role: 'viewer' } });
    assertProblem(await t.request('POST', items, { key: editor.key, body: { type_of: 'functional', title: 'no' } }), 403, 'FORBIDDEN');
    assert.equal((await t.request('GET', items, { key: editor.key })).status, 200);
    await t.request('DELETE', `/api/v1/projects/${project.id}/members/${editor.userId}`, { key: owner.key });
    assertProblem(await t.request('GET', items, { key: editor.key }), 403, 'FORBIDDEN');
  });

  it('a removed member: the next request with their key is 401, they lose every project at once, and rejoining restores neither', async () => {
    const member = await joinOrg(t, { key: owner.key }, org, 'member', 'removed');
    const second = await createProject(t, { key: owner.key }, { name: 'Second' });
    await addToTeam(t, { key: owner.key }, project.id, member.userId, 'editor');
    await addToTeam(t, { key: owner.key }, second.id, member.userId, 'admin');
    assert.equal((await t.request('GET', '/api/v1/projects', { key: member.key })).body.meta.total, 2);

    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/members/${member.userId}`, { key: owner.key })).status, 204);
    assertProblem(await t.request('GET', '/api/v1/me', { key: member.key }), 401, 'INVALID_API_KEY');
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, { key: member.key }), 401, 'INVALID_API_KEY');
    const teams = await t.server.ctx.db.selectFrom('project_members').select('project_id').where('user_id', '=', member.userId).execute();
    assert.deepEqual(teams, [], 'no project role survives the removal');

    const { token } = await inviteByMail(t, { key: owner.key }, org, member.email, 'member');
    const rejoined = await accept(t, member.personalKey, token);
    assert.equal(rejoined.status, 200);
    const newKey = rejoined.body.data.api_key.key;
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, { key: newKey }), 403, 'FORBIDDEN');
    assertProblem(await t.request('GET', '/api/v1/me', { key: member.key }), 401, 'INVALID_API_KEY');
  });

  it('through a web session: a demoted admin and then a removed member are refused on their next request', async () => {
    const web = await webPerson(t, 'web-admin');
    const { token } = await inviteByMail(t, { key: owner.key }, org, web.email, 'admin');
    const accepted = await t.request('POST', '/api/v1/invitations/accept', { cookie: web.cookie, body: { token } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.data.api_key, undefined, 'a session acts in every organization of its user: no key is minted');
    const as = { cookie: web.cookie };
    const crossSite = await t.request('POST', `/api/v1/organizations/${org}/invitations`, {
      ...as,
      headers: { origin: 'https://evil.example' },
      body: { email: uniqueEmail('s'), role: 'member' },
    });
    assertProblem(crossSite, 403, 'CSRF_REJECTED');
    assert.equal(
      (await t.request('POST', `/api/v1/organizations/${org}/invitations`, { ...as, body: { email: uniqueEmail('s'), role: 'member' } })).status,
      201,
    );
    assert.equal((await t.request('GET', `/api/v1/projects/${project.id}`, as)).status, 200);

    await t.request('PATCH', `/api/v1/organizations/${org}/members/${web.userId}`, { key: owner.key, body: { role: 'member' } });
    assertProblem(
      await t.request('POST', `/api/v1/organizations/${org}/invitations`, { ...as, body: { email: uniqueEmail('s'), role: 'member' } }),
      403,
      'FORBIDDEN',
    );
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, as), 403, 'FORBIDDEN');

    await t.request('DELETE', `/api/v1/organizations/${org}/members/${web.userId}`, { key: owner.key });
    assertProblem(await t.request('GET', `/api/v1/organizations/${org}`, as), 404, 'NOT_FOUND');
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, as), 404, 'NOT_FOUND');
    assert.deepEqual((await t.request('GET', '/api/v1/organizations', as)).body.data, [], 'still signed in, in no organization');
  });

  it('with requests in flight: once the demotion has answered, every later request of the old admin is refused (20 concurrent)', async () => {
    for (let round = 0; round < 3; round++) {
      const admin = await joinOrg(t, { key: owner.key }, org, 'admin', `inflight-${round}`);
      const target = await joinOrg(t, { key: owner.key }, org, 'member', `target-${round}`);
      // The admin hammers member management while the owner demotes them.
      const during = Array.from({ length: 10 }, (_, i) =>
        t.request('PATCH', `/api/v1/organizations/${org}/members/${target.userId}`, { key: admin.key, body: { role: i % 2 ? 'admin' : 'member' } }),
      );
      const demotion = await t.request('PATCH', `/api/v1/organizations/${org}/members/${admin.userId}`, { key: owner.key, body: { role: 'member' } });
      assert.equal(demotion.status, 200);
      const roleAtDemotion = (await t.request('GET', `/api/v1/organizations/${org}/members/${target.userId}`, { key: owner.key })).body.data.role;
      const afterwards = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 ? t.request('PATCH', `/api/v1/organizations/${org}/members/${target.userId}`, { key: admin.key, body: { role: 'admin' } }) : invite(admin.key),
        ),
      );
      assert.deepEqual(
        afterwards.map((r) => r.status),
        Array(20).fill(403),
        JSON.stringify(afterwards.find((r) => r.status !== 403)?.body),
      );
      for (const reply of await Promise.all(during)) assert.ok([200, 403].includes(reply.status), `${reply.status} ${JSON.stringify(reply.body)}`);
      // Whatever landed before the demotion, nothing the admin sent can land after it.
      const roleNow = (await t.request('GET', `/api/v1/organizations/${org}/members/${target.userId}`, { key: owner.key })).body.data.role;
      assert.equal(roleNow, roleAtDemotion);
      const changes = await t.server.ctx.db
        .selectFrom('audit_log')
        .select(['action', 'actor_user_id', 'created_at', 'id'])
        .where('org_id', '=', org)
        .where('action', '=', 'member.role_changed')
        .where('target_id', 'in', [target.userId, admin.userId])
        .execute();
      const demotedAt = changes.find((c) => c.actor_user_id === owner.userId)!.created_at;
      assert.ok(changes.filter((c) => c.actor_user_id === admin.userId).every((c) => c.created_at <= demotedAt));
    }
  });
});
