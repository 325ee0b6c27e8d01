import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createItem, createProject, MANY_AGENTS, webPerson } from './helpers/orgs.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

// Lists have one documented, total order (README "Lists and their order"), the same on SQLite and
// PostgreSQL. Everything here is made while the server's clock stands still, so every created_at ties
// and only the tiebreak decides: a random tiebreak would shuffle these lists between runs.
describe('lists keep their documented order for things made within one millisecond', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
  });
  after(async () => t.close());

  it('organizations, projects, keys, items, invitations, sessions and the audit log each come in their documented order', async () => {
    const person = await webPerson(t, 'order');
    const as = { cookie: person.cookie };
    t.clock.freeze();
    try {
      const orgNames = ['Zulu', 'Alpha', 'Mike', 'Bravo'];
      const orgs = [];
      for (const name of orgNames) {
        const reply = await t.request('POST', '/api/v1/organizations', { ...as, body: { name } });
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
        orgs.push(reply.body.data);
      }
      assert.equal(new Set(orgs.map((o) => o.created_at)).size, 1, 'the clock stood still: every organization has the same created_at');
      const listed = await t.request('GET', '/api/v1/organizations', as);
      assert.deepEqual(
        listed.body.data.map((o: { name: string }) => o.name),
        orgNames,
        'organizations: in the order the caller joined them',
      );
      const session = await t.request('GET', '/api/v1/auth/session', as);
      assert.deepEqual(
        session.body.data.memberships.map((m: { organization: { name: string } }) => m.organization.name),
        orgNames,
        'session memberships: the same order',
      );

      const org = orgs[0].id;
      const projectNames = ['Omega', 'Beta', 'Kappa'];
      for (const name of projectNames) await createProject(t, as, { name, organization_id: org });
      const projects = await t.request('GET', '/api/v1/projects', as);
      assert.deepEqual(
        projects.body.data.map((p: { name: string }) => p.name),
        projectNames,
        'projects: creation order',
      );

      const keyNames = ['k-first', 'k-second', 'k-third', 'k-fourth'];
      for (const name of keyNames) {
        const reply = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { ...as, body: { name } });
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
      }
      const keys = await t.request('GET', `/api/v1/organizations/${org}/api-keys`, as);
      assert.deepEqual(
        keys.body.data.map((k: { name: string }) => k.name),
        [...keyNames].reverse(),
        'keys: newest first',
      );

      const audit = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=api_key.created`, as);
      assert.deepEqual(
        audit.body.data.map((e: { details: { name: string } }) => e.details.name),
        [...keyNames].reverse(),
        'audit log: newest first',
      );

      const invitees = [uniqueEmail('inv-a'), uniqueEmail('inv-b'), uniqueEmail('inv-c')];
      for (const email of invitees) {
        const reply = await t.request('POST', `/api/v1/organizations/${org}/invitations`, { ...as, body: { email, role: 'member' } });
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
      }
      const invitations = await t.request('GET', `/api/v1/organizations/${org}/invitations`, as);
      assert.deepEqual(
        invitations.body.data.map((i: { email: string }) => i.email),
        [...invitees].reverse(),
        'invitations: newest first',
      );

      const project = (await t.request('GET', '/api/v1/projects', as)).body.data[0].id;
      const made = [];
      for (const type_of of ['technical', 'functional', 'technical', 'functional', 'functional'])
        made.push(await createItem(t, as, project, { type_of, title: 'Same title' }));
      const creationOrder = ['T-1', 'F-1', 'T-2', 'F-2', 'F-3'];
      const permalinks = async (query: string) =>
        (await t.request('GET', `/api/v1/projects/${project}/spec/items${query}`, as)).body.data.map((i: { permalink: string }) => i.permalink);
      assert.deepEqual(
        made.map((i) => i.permalink),
        creationOrder,
      );
      assert.deepEqual(await permalinks(''), creationOrder, 'items: creation order by default');
      assert.deepEqual(await permalinks('?sort=-created_at'), [...creationOrder].reverse(), 'items: newest first with -created_at');
      assert.deepEqual(await permalinks('?sort=permalink'), ['F-1', 'F-2', 'F-3', 'T-1', 'T-2'], 'items: by permalink');
      for (const sort of ['title', '-title', 'priority', '-updated_at', 'state']) {
        assert.deepEqual(await permalinks(`?sort=${sort}`), creationOrder, `items sorted by ${sort}: ties in creation order`);
      }
      assert.deepEqual(await permalinks('?sort=created_at&per=2&page=2'), creationOrder.slice(2, 4), 'pages cut the same order');

      const second = await t.request('POST', '/api/v1/auth/login', { body: { email: person.email, password: 'Orbit-Lantern-Quiet-42' } });
      assert.equal(second.status, 200);
      const third = await t.request('POST', '/api/v1/auth/login', { body: { email: person.email, password: 'Orbit-Lantern-Quiet-42' } });
      const sessions = await t.request('GET', '/api/v1/auth/sessions', as);
      const ids = sessions.body.data.map((s: { id: string }) => s.id);
      assert.deepEqual(ids.slice(0, 2), [third.body.data.session.id, second.body.data.session.id], 'sessions: newest first');
    } finally {
      t.clock.thaw();
    }
  });
});
