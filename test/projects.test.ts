import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addToTeam, createItem, createProject, joinOrg, MANY_AGENTS, newPerson, webPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('projects and project teams', () => {
  let t: TestServer;
  let owner: Person;
  let member: Person;
  let org: string;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    owner = await newPerson(t, 'proj-owner');
    org = owner.personalOrgId;
    member = await joinOrg(t, { key: owner.key }, org, 'member');
  });
  after(() => t.close());

  it('a project has the FuncSpec shape: id, name, slug, description, organization, stats, created_at, updated_at', async () => {
    const project = await createProject(t, { key: owner.key }, { name: 'Checkout', description: 'The *checkout* flow', organization_id: org });
    assert.deepEqual(Object.keys(project).sort(), ['created_at', 'description', 'id', 'name', 'organization', 'slug', 'stats', 'updated_at']);
    assert.match(project.id, /^prj_/);
    assert.equal(project.slug, 'checkout');
    assert.deepEqual(project.organization, {
      id: org,
      name: (await t.request('GET', `/api/v1/organizations/${org}`, { key: owner.key })).body.data.name,
      slug: project.organization.slug,
    });
    assert.deepEqual(project.stats, { functional_count: 0, technical_count: 0, accepted_count: 0 });
    assert.match(project.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const bySlug = await t.request('GET', '/api/v1/projects/checkout', { key: owner.key });
    assert.equal(bySlug.status, 200);
    assert.equal(bySlug.body.data.id, project.id);
    const defaulted = await createProject(t, { key: owner.key }, { name: 'Checkout' });
    assert.equal(defaulted.organization.id, org, "organization_id defaults to the key's organization");
    assert.match(defaulted.slug, /^checkout-[a-z0-9]{6}$/);
    assertProblem(await t.request('POST', '/api/v1/projects', { key: owner.key, body: { name: 'X', slug: 'checkout' } }), 409, 'SLUG_TAKEN');
  });

  it('with a session, a project slug used in two of my organizations is 409 PROJECT_SLUG_AMBIGUOUS; ids and keys are never ambiguous', async () => {
    const web = await webPerson(t, 'two-orgs');
    const as = { cookie: web.cookie };
    const first = await t.request('POST', '/api/v1/organizations', { ...as, body: { name: 'First' } });
    const second = await t.request('POST', '/api/v1/organizations', { ...as, body: { name: 'Second' } });
    assert.equal(first.body.data.api_key, undefined);
    const one = await createProject(t, as, { name: 'Roadmap', organization_id: first.body.data.id });
    const two = await createProject(t, as, { name: 'Roadmap', organization_id: second.body.data.slug });
    assert.equal(one.slug, two.slug);
    const ambiguous = await t.request('GET', `/api/v1/projects/${one.slug}`, as);
    assertProblem(ambiguous, 409, 'PROJECT_SLUG_AMBIGUOUS');
    assert.deepEqual(ambiguous.body.details.candidates.map((c: any) => c.id).sort(), [one.id, two.id].sort());
    assert.equal((await t.request('GET', `/api/v1/projects/${two.id}`, as)).body.data.organization.id, second.body.data.id);
    const listed = await t.request('GET', `/api/v1/projects?organization=${second.body.data.slug}`, as);
    assert.deepEqual(
      listed.body.data.map((p: any) => p.id),
      [two.id],
    );
    const mine = await t.request('GET', '/api/v1/organizations', as);
    assert.deepEqual(
      mine.body.data.map((o: any) => [o.id, o.role]),
      [
        [first.body.data.id, 'owner'],
        [second.body.data.id, 'owner'],
      ],
    );
  });

  it('org members cannot create projects; org membership alone gives no project access', async () => {
    assertProblem(await t.request('POST', '/api/v1/projects', { key: member.key, body: { name: 'Mine' } }), 403, 'FORBIDDEN');
    const project = await createProject(t, { key: owner.key }, { name: 'Hidden' });
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, { key: member.key }), 403, 'FORBIDDEN');
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}/spec/items`, { key: member.key }), 403, 'FORBIDDEN');
    const listed = await t.request('GET', '/api/v1/projects', { key: member.key });
    assert.equal(
      listed.body.data.some((p: any) => p.id === project.id),
      false,
    );

    await addToTeam(t, { key: owner.key }, project.id, member.userId, 'viewer');
    assert.equal((await t.request('GET', `/api/v1/projects/${project.id}`, { key: member.key })).status, 200);
    const listedNow = await t.request('GET', '/api/v1/projects', { key: member.key });
    assert.deepEqual(
      listedNow.body.data.map((p: any) => p.id),
      [project.id],
    );
    assert.equal(listedNow.body.meta.total, 1);
  });

  it('teams: add by user_id or e-mail (org members only), change role, remove, leave; every change is audited', async () => {
    const project = await createProject(t, { key: owner.key }, { name: 'Team' });
    const other = await joinOrg(t, { key: owner.key }, org, 'member');
    const outsider = await newPerson(t, 'outsider');
    const team = `/api/v1/projects/${project.id}/members`;

    const byEmail = await t.request('POST', team, { key: owner.key, body: { email: other.email.toUpperCase(), role: 'editor' } });
    assert.equal(byEmail.status, 201, JSON.stringify(byEmail.body));
    assert.deepEqual(byEmail.body.data.user, { id: other.userId, email: other.email, name: null });
    assertProblem(await t.request('POST', team, { key: owner.key, body: { user_id: other.userId, role: 'viewer' } }), 409, 'ALREADY_PROJECT_MEMBER');
    assertProblem(await t.request('POST', team, { key: owner.key, body: { user_id: outsider.userId, role: 'viewer' } }), 404, 'MEMBER_NOT_FOUND');
    assertProblem(await t.request('POST', team, { key: owner.key, body: { email: outsider.email, role: 'viewer' } }), 404, 'MEMBER_NOT_FOUND');
    assertProblem(
      await t.request('POST', team, { key: owner.key, body: { user_id: member.userId, email: member.email, role: 'viewer' } }),
      422,
      'VALIDATION_FAILED',
    );
    await addToTeam(t, { key: owner.key }, project.id, member.userId, 'admin');

    // A project admin (org member) manages the team; an editor does not.
    assertProblem(await t.request('PATCH', `${team}/${member.userId}`, { key: other.key, body: { role: 'viewer' } }), 403, 'FORBIDDEN');
    assertProblem(await t.request('PATCH', `${team}/${other.userId}`, { key: other.key, body: { role: 'admin' } }), 403, 'FORBIDDEN');
    const changed = await t.request('PATCH', `${team}/${other.userId}`, { key: member.key, body: { role: 'viewer' } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.data.role, 'viewer');
    const list = await t.request('GET', team, { key: other.key });
    assert.deepEqual(
      list.body.data.map((m: any) => [m.user.id, m.role]),
      [
        [other.userId, 'viewer'],
        [member.userId, 'admin'],
      ],
    );
    assert.equal((await t.request('DELETE', `${team}/${other.userId}`, { key: member.key })).status, 204);
    assert.equal((await t.request('DELETE', `${team}/${member.userId}`, { key: member.key })).status, 204, 'leave the team');
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, { key: member.key }), 403, 'FORBIDDEN');

    const actions = (
      await t.server.ctx.db.selectFrom('audit_log').select('action').where('org_id', '=', org).where('action', 'like', 'project.member%').execute()
    ).map((r) => r.action);
    assert.deepEqual(actions.sort(), [
      'project.member_added',
      'project.member_added',
      'project.member_added',
      'project.member_left',
      'project.member_removed',
      'project.member_role_changed',
    ]);
  });

  it('unknown project roles, self-promotion and oversized fields get the §2 envelope and change nothing', async () => {
    const project = await createProject(t, { key: owner.key }, { name: 'Strict' });
    await addToTeam(t, { key: owner.key }, project.id, member.userId, 'editor');
    const team = `/api/v1/projects/${project.id}/members`;
    for (const role of ['owner', 'superuser', 'Admin', '']) {
      assertProblem(await t.request('PATCH', `${team}/${member.userId}`, { key: owner.key, body: { role } }), 422, 'VALIDATION_FAILED');
    }
    assertProblem(await t.request('PATCH', `${team}/${member.userId}`, { key: member.key, body: { role: 'admin' } }), 403, 'FORBIDDEN');
    assertProblem(await t.request('PATCH', `/api/v1/projects/${project.id}`, { key: owner.key, body: { name: 'n'.repeat(101) } }), 422, 'VALIDATION_FAILED');
    assertProblem(
      await t.request('PATCH', `/api/v1/projects/${project.id}`, { key: owner.key, body: { description: 'd'.repeat(10_001) } }),
      422,
      'VALIDATION_FAILED',
    );
    assertProblem(await t.request('POST', '/api/v1/projects', { key: owner.key, body: { name: 'x'.repeat(101) } }), 422, 'VALIDATION_FAILED');
    const list = await t.request('GET', team, { key: owner.key });
    assert.deepEqual(
      list.body.data.map((m: any) => m.role),
      ['editor'],
    );
    const same = await t.request('GET', `/api/v1/projects/${project.id}`, { key: owner.key });
    assert.equal(same.body.data.name, 'Strict');
    assert.equal(same.body.data.updated_at, project.updated_at);
  });

  it('PATCH renames, DELETE removes the project with its items (project admin)', async () => {
    const project = await createProject(t, { key: owner.key }, { name: 'Doomed' });
    await createItem(t, { key: owner.key }, project.id);
    const renamed = await t.request('PATCH', `/api/v1/projects/${project.id}`, {
      key: owner.key,
      body: { name: 'Still doomed', slug: 'still-doomed', description: null },
    });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.data.slug, 'still-doomed');
    assert.equal(renamed.body.data.stats.functional_count, 1);
    assert.equal((await t.request('DELETE', `/api/v1/projects/${project.id}`, { key: owner.key })).status, 204);
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}`, { key: owner.key }), 404, 'NOT_FOUND');
    const items = await t.server.ctx.db.selectFrom('spec_items').select('id').where('project_id', '=', project.id).execute();
    assert.equal(items.length, 0);
  });
});

describe('spec items', () => {
  let t: TestServer;
  let owner: Person;
  let as: { key: string };
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    owner = await newPerson(t, 'items');
    as = { key: owner.key };
  });
  after(() => t.close());

  it('permalinks are numbered per project and type, and never reused after a delete', async () => {
    const project = await createProject(t, as, { name: 'Numbers' });
    const other = await createProject(t, as, { name: 'Other numbers' });
    const f1 = await createItem(t, as, project.id, { type_of: 'functional' });
    const t1 = await createItem(t, as, project.id, { type_of: 'technical' });
    const f2 = await createItem(t, as, project.id, { type_of: 'functional' });
    const otherF1 = await createItem(t, as, other.id, { type_of: 'functional' });
    assert.deepEqual([f1.permalink, t1.permalink, f2.permalink, otherF1.permalink], ['F-1', 'T-1', 'F-2', 'F-1']);
    assert.equal((await t.request('DELETE', `/api/v1/projects/${project.id}/spec/items/F-2`, as)).status, 204);
    const f3 = await createItem(t, as, project.id, { type_of: 'functional' });
    assert.equal(f3.permalink, 'F-3');
    assertProblem(await t.request('GET', `/api/v1/projects/${project.id}/spec/items/F-2`, as), 404, 'NOT_FOUND');
    const byPermalink = await t.request('GET', `/api/v1/projects/${project.id}/spec/items/f-3`, as);
    assert.equal(byPermalink.body.data.id, f3.id);
    assert.equal(byPermalink.headers.get('etag'), '"1"');
  });

  it('50 concurrent item creations in one project give 50 distinct consecutive permalinks', async () => {
    const project = await createProject(t, as, { name: 'Stampede' });
    await createItem(t, as, project.id, { type_of: 'technical' });
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.request('POST', `/api/v1/projects/${project.id}/spec/items`, { ...as, body: { type_of: 'functional', title: `Item ${i}` } }),
      ),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(50).fill(201),
      JSON.stringify(replies.find((r) => r.status !== 201)?.body),
    );
    const numbers = replies.map((r) => Number(r.body.data.permalink.slice(2))).sort((a, b) => a - b);
    assert.deepEqual(
      numbers,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const stats = (await t.request('GET', `/api/v1/projects/${project.id}`, as)).body.data.stats;
    assert.deepEqual(stats, { functional_count: 50, technical_count: 1, accepted_count: 0 });
  });

  it('two concurrent PATCHes with the same If-Match: one wins, one gets 412, nothing is lost', async () => {
    const project = await createProject(t, as, { name: 'Versions' });
    const item = await createItem(t, as, project.id, { title: 'Original', description: 'v1' });
    const path = `/api/v1/projects/${project.id}/spec/items/${item.permalink}`;
    for (let round = 0; round < 3; round++) {
      const current = await t.request('GET', path, as);
      const etag = current.headers.get('etag')!;
      const [a, b] = await Promise.all([
        t.request('PATCH', path, { ...as, headers: { 'if-match': etag }, body: { title: `A${round}` } }),
        t.request('PATCH', path, { ...as, headers: { 'if-match': etag }, body: { description: `B${round}` } }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [200, 412], JSON.stringify([a.body, b.body]));
      const loser = a.status === 412 ? a : b;
      const winner = a.status === 200 ? a : b;
      assert.equal(loser.body.error_code, 'VERSION_CONFLICT');
      assert.equal(loser.body.details.current_version, winner.body.data.version);
      assert.equal(winner.body.data.version, current.body.data.version + 1);
      // The loser rereads and reapplies: both changes end up in the item.
      const retry = await t.request('PATCH', path, {
        ...as,
        headers: { 'if-match': winner.headers.get('etag')! },
        body: loser === a ? { title: `A${round}` } : { description: `B${round}` },
      });
      assert.equal(retry.status, 200);
      assert.equal(retry.body.data.title, `A${round}`);
      assert.equal(retry.body.data.description, `B${round}`);
    }
    // Ten writers on one version: exactly one gets through.
    const etag = (await t.request('GET', path, as)).headers.get('etag')!;
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.request('PATCH', path, { ...as, headers: { 'if-match': etag }, body: { title: `W${i}` } })),
    );
    assert.equal(many.filter((r) => r.status === 200).length, 1);
    assert.equal(many.filter((r) => r.status === 412).length, 9);
    assertProblem(await t.request('PATCH', path, { ...as, headers: { 'if-match': 'banana' }, body: { title: 'x' } }), 422, 'VALIDATION_FAILED');
  });

  it('PATCH without If-Match still applies every change (no lost update), versions counting each', async () => {
    const project = await createProject(t, as, { name: 'No precondition' });
    const item = await createItem(t, as, project.id);
    const path = `/api/v1/projects/${project.id}/spec/items/${item.id}`;
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => t.request('PATCH', path, { ...as, body: { tags: [`t${i}`] } })));
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(8).fill(200),
      JSON.stringify(replies.map((r) => r.body.error_code)),
    );
    const final = await t.request('GET', path, as);
    assert.equal(final.body.data.version, 9);
  });

  it('the review and implementation state machines: allowed moves succeed, others are 409 INVALID_TRANSITION', async () => {
    const project = await createProject(t, as, { name: 'Workflow' });
    const item = await createItem(t, as, project.id);
    const base = `/api/v1/projects/${project.id}/spec/items/${item.permalink}`;
    const move = (state: string) => t.request('POST', `${base}/transition`, { ...as, body: { state } });
    const impl = (status: string) => t.request('POST', `${base}/transition_implementation`, { ...as, body: { implementation_status: status } });

    assert.equal(item.state, 'draft');
    const allowed = async () => (await t.request('GET', base, as)).body.meta.allowed_transitions;
    assert.deepEqual(await allowed(), { state: ['inbox'], implementation_status: ['not_applicable'] }, 'GET says where the item may go: work needs acceptance');
    const skip = await move('accepted');
    assertProblem(skip, 409, 'INVALID_TRANSITION');
    assert.deepEqual(skip.body.details, { from: 'draft', to: 'accepted', reason: 'not_allowed', allowed: ['inbox'] });
    assertProblem(await impl('in_progress'), 409, 'INVALID_TRANSITION');
    assert.equal((await move('inbox')).status, 200);
    assert.equal((await move('rejected')).status, 200);
    assert.equal((await move('inbox')).status, 200);
    const accepted = await move('accepted');
    assert.equal(accepted.body.data.state, 'accepted');
    assert.deepEqual(await allowed(), { state: ['inbox'], implementation_status: ['in_progress', 'not_applicable'] });
    assertProblem(await move('accepted'), 409, 'INVALID_TRANSITION');
    for (const status of ['in_progress', 'implemented', 'verified']) assert.equal((await impl(status)).body.data.implementation_status, status);
    assertProblem(await impl('pending'), 409, 'INVALID_TRANSITION');
    assertProblem(await move('done'), 422, 'VALIDATION_FAILED');
    const stale = await t.request('POST', `${base}/transition`, { ...as, headers: { 'if-match': '"1"' }, body: { state: 'inbox' } });
    assertProblem(stale, 412, 'VERSION_CONFLICT');
    const final = await t.request('GET', base, as);
    assert.equal(final.body.data.version, 8);
    assert.equal((await t.request('GET', `/api/v1/projects/${project.id}`, as)).body.data.stats.accepted_count, 1);
  });

  it('parents must be items of the same project and may not make cycles; deleting a parent orphans its children', async () => {
    const project = await createProject(t, as, { name: 'Tree' });
    const other = await createProject(t, as, { name: 'Other tree' });
    const foreign = await createItem(t, as, other.id);
    const root = await createItem(t, as, project.id);
    const child = await createItem(t, as, project.id, { parent_id: root.permalink });
    const grandchild = await createItem(t, as, project.id, { parent_id: child.id });
    assert.equal(child.parent_id, root.id);

    const before = (await t.request('GET', `/api/v1/projects/${project.id}`, as)).body.data.stats;
    assertProblem(
      await t.request('POST', `/api/v1/projects/${project.id}/spec/items`, { ...as, body: { type_of: 'functional', title: 'x', parent_id: foreign.id } }),
      404,
      'PARENT_NOT_FOUND',
    );
    assert.deepEqual((await t.request('GET', `/api/v1/projects/${project.id}`, as)).body.data.stats, before);
    const next = await createItem(t, as, project.id);
    assert.equal(next.permalink, 'F-4', 'a refused creation used no number');

    const path = (i: any) => `/api/v1/projects/${project.id}/spec/items/${i.id}`;
    assertProblem(await t.request('PATCH', path(child), { ...as, body: { parent_id: foreign.id } }), 404, 'PARENT_NOT_FOUND');
    assertProblem(await t.request('PATCH', path(root), { ...as, body: { parent_id: grandchild.id } }), 422, 'PARENT_CYCLE');
    assertProblem(await t.request('PATCH', path(root), { ...as, body: { parent_id: root.id } }), 422, 'PARENT_CYCLE');
    assert.equal((await t.request('GET', path(root), as)).body.data.version, 1);

    assert.equal((await t.request('DELETE', path(root), as)).status, 204);
    assert.equal((await t.request('GET', path(child), as)).body.data.parent_id, null);
  });

  it('oversized or unknown fields get the §2 envelope and change nothing', async () => {
    const project = await createProject(t, as, { name: 'Limits' });
    const item = await createItem(t, as, project.id);
    const path = `/api/v1/projects/${project.id}/spec/items/${item.id}`;
    const cases: Record<string, unknown>[] = [
      { title: 't'.repeat(201) },
      { title: '   ' },
      { description: 'd'.repeat(100_001) },
      { tags: Array.from({ length: 21 }, (_, i) => `tag${i}`) },
      { tags: ['x'.repeat(51)] },
      { priority: 'urgent' },
      { state: 'accepted' },
      { implementation_status: 'verified' },
      { version: 99 },
      {},
    ];
    for (const body of cases) {
      const reply = await t.request('PATCH', path, { ...as, body });
      assertProblem(reply, 422, 'VALIDATION_FAILED');
      assert.ok(reply.body.details.fields, JSON.stringify(reply.body));
    }
    for (const body of [{ type_of: 'epic', title: 'x' }, { title: 'no type' }, { type_of: 'functional', title: 'x', state: 'accepted' }]) {
      assertProblem(await t.request('POST', `/api/v1/projects/${project.id}/spec/items`, { ...as, body }), 422, 'VALIDATION_FAILED');
    }
    const same = await t.request('GET', path, as);
    assert.deepEqual(same.body.data, item);
    assert.equal((await t.request('GET', `/api/v1/projects/${project.id}`, as)).body.data.stats.functional_count, 1);
  });

  it('lists filter by type, state, status, tag, parent and q (case-insensitive, wildcards literal), sort and paginate with meta.total', async () => {
    const project = await createProject(t, as, { name: 'Search' });
    const url = (query: string) => `/api/v1/projects/${project.id}/spec/items?${query}`;
    const a = await createItem(t, as, project.id, {
      title: 'Login with e-mail',
      description: 'Users sign in with 100% certainty',
      priority: 'high',
      tags: ['auth', 'web'],
    });
    const b = await createItem(t, as, project.id, {
      type_of: 'technical',
      title: 'Password hashing',
      description: 'argon2id via snake_case config',
      priority: 'critical',
      tags: ['auth'],
      parent_id: a.id,
    });
    const c = await createItem(t, as, project.id, { title: 'Dark mode', description: 'Looks nice', priority: 'low', tags: ['web'], state: 'inbox' });
    const d = await createItem(t, as, project.id, { title: 'LOGOUT everywhere', priority: 'medium' });
    const ids = async (query: string) => {
      const reply = await t.request('GET', url(query), as);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.data.map((i: any) => i.id);
    };
    assert.deepEqual(await ids('type_of=technical'), [b.id]);
    assert.deepEqual(await ids('state=inbox'), [c.id]);
    assert.deepEqual(await ids('implementation_status=pending&sort=permalink'), [a.id, c.id, d.id, b.id]);
    assert.deepEqual(await ids('tag=auth'), [a.id, b.id]);
    assert.deepEqual(await ids('tag=web'), [a.id, c.id]);
    assert.deepEqual(await ids(`parent_id=${a.permalink}`), [b.id]);
    assert.deepEqual(await ids('parent_id=none'), [a.id, c.id, d.id]);
    assert.deepEqual(await ids('q=LOG'), [a.id, d.id]);
    assert.deepEqual(await ids('q=argon2ID'), [b.id]);
    assert.deepEqual(await ids('q=%25'), [a.id], '% matches only a literal %');
    assert.deepEqual(await ids('q=_'), [b.id], '_ matches only a literal _');
    assert.deepEqual(await ids('q=nothing-like-this'), []);
    assert.deepEqual(await ids('sort=-priority'), [b.id, a.id, d.id, c.id]);
    assert.deepEqual(await ids('sort=title'), [c.id, a.id, d.id, b.id], 'titles sort case-insensitively');
    assert.deepEqual(await ids('sort=-title'), [b.id, d.id, a.id, c.id]);
    const page2 = await t.request('GET', url('per=2&page=2&sort=created_at'), as);
    assert.deepEqual(page2.body.meta, { total: 4, page: 2, per: 2 });
    assert.deepEqual(
      page2.body.data.map((i: any) => i.id),
      [c.id, d.id],
    );
    const filteredTotal = await t.request('GET', url('per=1&tag=web'), as);
    assert.deepEqual(filteredTotal.body.meta, { total: 2, page: 1, per: 1 });
    for (const bad of ['sort=colour', 'per=101', 'page=0', 'type_of=epic', `q=${'q'.repeat(201)}`]) {
      assertProblem(await t.request('GET', url(bad), as), 422, 'VALIDATION_FAILED');
    }
  });
});
