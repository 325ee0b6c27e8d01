/**
 * Cross-tenant isolation. Threat: a caller of organization A reads or changes organization B's data by
 * putting B's ids in the path, or by smuggling them into a request body (organization_id, parent_id,
 * user_id, e-mail, invitation ids or tokens). Every such request must get 404 (or 403) and no B data,
 * and B must be exactly as it was afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply, RequestOptions } from './helpers/http.js';
import { accept, addToTeam, createItem, createProject, inviteByMail, joinOrg, MANY_AGENTS, newPerson, webPerson, type Person } from './helpers/orgs.js';
import { startTestServer, type TestServer } from './helpers/server.js';

interface Attempt {
  method: string;
  path: string;
  body?: unknown;
}

describe("cross-tenant: organization A's credentials on organization B's ids", () => {
  let t: TestServer;
  let a: Person; // owner of A
  let b: Person; // owner of B
  let bMember: Person; // member of B only
  let both: Person; // owner of their own org, member of A (key bound to A) and admin of B
  let bothInA: string;
  let aSession: string; // web session of an admin of A who is not in B
  let A: { id: string; slug: string };
  let B: { id: string; slug: string };
  let projectA: any;
  let itemA: any;
  let projectB: any;
  let itemB: any;
  let invitationB: { id: string; token: string };
  let outsiderInvitee: Person;
  const SECRETS = ['Bravo Secret Org', 'Bravo secret project', 'bravo secret item', 'bravo-secret-description'];

  /** Everything B's owner can see of B: it must not change under the attacks. */
  async function snapshotB(): Promise<unknown> {
    const as = { key: b.key };
    const get = async (path: string) => {
      const reply = await t.request('GET', path, as);
      assert.equal(reply.status, 200, `${path}: ${JSON.stringify(reply.body)}`);
      return reply.body;
    };
    return {
      org: await get(`/api/v1/organizations/${B.id}`),
      billing: await get(`/api/v1/organizations/${B.id}/billing`),
      members: await get(`/api/v1/organizations/${B.id}/members`),
      invitations: await get(`/api/v1/organizations/${B.id}/invitations`),
      projects: await get('/api/v1/projects'),
      team: await get(`/api/v1/projects/${projectB.id}/members`),
      items: await get(`/api/v1/projects/${projectB.id}/spec/items`),
      item: await get(`/api/v1/projects/${projectB.id}/spec/items/${itemB.id}`),
    };
  }

  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    a = await newPerson(t, 'alpha');
    b = await newPerson(t, 'bravo');
    A = (await t.request('GET', `/api/v1/organizations/${a.personalOrgId}`, { key: a.key })).body.data;
    B = (await t.request('PATCH', `/api/v1/organizations/${b.personalOrgId}`, { key: b.key, body: { name: 'Bravo Secret Org', slug: 'bravo-secret' } })).body
      .data;
    projectA = await createProject(t, { key: a.key }, { name: 'Alpha project', slug: 'shared-slug' });
    itemA = await createItem(t, { key: a.key }, projectA.id, { title: 'alpha item' });
    projectB = await createProject(t, { key: b.key }, { name: 'Bravo secret project', slug: 'bravo-project', description: 'bravo-secret-description' });
    await createProject(t, { key: b.key }, { name: 'Bravo secret project too', slug: 'shared-slug' });
    itemB = await createItem(t, { key: b.key }, projectB.id, { title: 'bravo secret item', description: 'bravo-secret-description', tags: ['bravo'] });
    bMember = await joinOrg(t, { key: b.key }, B.id, 'member', 'bravo-member');
    await addToTeam(t, { key: b.key }, projectB.id, bMember.userId, 'editor');
    both = await joinOrg(t, { key: a.key }, A.id, 'member', 'double');
    bothInA = both.key;
    const inB = await inviteByMail(t, { key: b.key }, B.id, both.email, 'admin');
    assert.equal((await accept(t, both.personalKey, inB.token)).status, 200);
    const web = await webPerson(t, 'alpha-web');
    const inA = await inviteByMail(t, { key: a.key }, A.id, web.email, 'admin');
    assert.equal((await t.request('POST', '/api/v1/invitations/accept', { cookie: web.cookie, body: { token: inA.token } })).status, 200);
    aSession = web.cookie;
    outsiderInvitee = await newPerson(t, 'bravo-invitee');
    invitationB = await inviteByMail(t, { key: b.key }, B.id, outsiderInvitee.email, 'member');
  });
  after(() => t.close());

  function pathAttacks(): Attempt[] {
    const orgRefs = [B.id, B.slug];
    const projectRefs = [projectB.id, projectB.slug];
    const itemRefs = [itemB.id, itemB.permalink];
    const attempts: Attempt[] = [];
    for (const org of orgRefs) {
      const o = `/api/v1/organizations/${org}`;
      attempts.push(
        { method: 'GET', path: o },
        { method: 'PATCH', path: o, body: { name: 'pwned' } },
        { method: 'DELETE', path: o },
        { method: 'GET', path: `${o}/billing` },
        { method: 'GET', path: `${o}/members` },
        { method: 'GET', path: `${o}/members/${bMember.userId}` },
        { method: 'PATCH', path: `${o}/members/${bMember.userId}`, body: { role: 'admin' } },
        { method: 'DELETE', path: `${o}/members/${bMember.userId}` },
        { method: 'POST', path: `${o}/transfer-ownership`, body: { user_id: a.userId } },
        { method: 'GET', path: `${o}/invitations` },
        { method: 'POST', path: `${o}/invitations`, body: { email: a.email, role: 'admin' } },
        { method: 'DELETE', path: `${o}/invitations/${invitationB.id}` },
        { method: 'POST', path: `${o}/credits/debits`, body: { amount: 1, reason: 'pwned', idempotency_key: 'x' } },
        // Routes of the key-management feature: whatever they answer, it must not be B's data.
        { method: 'GET', path: `${o}/api-keys` },
        { method: 'POST', path: `${o}/api-keys`, body: { name: 'pwned' } },
        { method: 'GET', path: `${o}/usage` },
        { method: 'GET', path: `${o}/audit-log` },
        { method: 'GET', path: `/api/v1/credits/balance?organization=${org}` },
        { method: 'GET', path: `/api/v1/projects?organization=${org}` },
      );
    }
    for (const project of projectRefs) {
      const p = `/api/v1/projects/${project}`;
      attempts.push(
        { method: 'GET', path: p },
        { method: 'PATCH', path: p, body: { name: 'pwned' } },
        { method: 'DELETE', path: p },
        { method: 'GET', path: `${p}/members` },
        { method: 'POST', path: `${p}/members`, body: { user_id: a.userId, role: 'admin' } },
        { method: 'PATCH', path: `${p}/members/${bMember.userId}`, body: { role: 'viewer' } },
        { method: 'DELETE', path: `${p}/members/${bMember.userId}` },
        { method: 'GET', path: `${p}/spec/items` },
        { method: 'GET', path: `${p}/spec/items?q=bravo` },
        { method: 'POST', path: `${p}/spec/items`, body: { type_of: 'functional', title: 'pwned' } },
      );
      for (const item of itemRefs) {
        const i = `${p}/spec/items/${item}`;
        attempts.push(
          { method: 'GET', path: i },
          { method: 'PATCH', path: i, body: { title: 'pwned' } },
          { method: 'DELETE', path: i },
          { method: 'POST', path: `${i}/transition`, body: { state: 'inbox' } },
          { method: 'POST', path: `${i}/transition_implementation`, body: { implementation_status: 'not_applicable' } },
        );
      }
    }
    // B's item through A's own project.
    for (const item of [itemB.id]) {
      const i = `/api/v1/projects/${projectA.id}/spec/items/${item}`;
      attempts.push(
        { method: 'GET', path: i },
        { method: 'PATCH', path: i, body: { title: 'pwned' } },
        { method: 'DELETE', path: i },
        { method: 'POST', path: `${i}/transition`, body: { state: 'inbox' } },
      );
    }
    return attempts;
  }

  function bodyAttacks(): Attempt[] {
    return [
      { method: 'POST', path: '/api/v1/projects', body: { name: 'smuggled', organization_id: B.id } },
      { method: 'POST', path: '/api/v1/projects', body: { name: 'smuggled', organization_id: B.slug } },
      { method: 'POST', path: `/api/v1/projects/${projectA.id}/members`, body: { user_id: bMember.userId, role: 'viewer' } },
      { method: 'POST', path: `/api/v1/projects/${projectA.id}/members`, body: { email: bMember.email, role: 'viewer' } },
      { method: 'POST', path: `/api/v1/projects/${projectA.id}/spec/items`, body: { type_of: 'functional', title: 'child', parent_id: itemB.id } },
      { method: 'PATCH', path: `/api/v1/projects/${projectA.id}/spec/items/${itemA.id}`, body: { parent_id: itemB.id } },
      { method: 'POST', path: `/api/v1/organizations/${A.id}/transfer-ownership`, body: { user_id: bMember.userId } },
      { method: 'PATCH', path: `/api/v1/organizations/${A.id}/members/${bMember.userId}`, body: { role: 'admin' } },
      { method: 'DELETE', path: `/api/v1/organizations/${A.id}/members/${bMember.userId}` },
      { method: 'GET', path: `/api/v1/organizations/${A.id}/members/${bMember.userId}` },
      { method: 'PATCH', path: `/api/v1/projects/${projectA.id}/members/${bMember.userId}`, body: { role: 'viewer' } },
      { method: 'DELETE', path: `/api/v1/projects/${projectA.id}/members/${bMember.userId}` },
      { method: 'DELETE', path: `/api/v1/organizations/${A.id}/invitations/${invitationB.id}` },
      { method: 'POST', path: '/api/v1/invitations/accept', body: { token: invitationB.token } },
    ];
  }

  function assertRefused(attempt: Attempt, reply: Reply, who: string): void {
    const what = `${who}: ${attempt.method} ${attempt.path} ${attempt.body ? JSON.stringify(attempt.body) : ''}`;
    assert.ok(reply.status === 404 || reply.status === 403, `${what} → ${reply.status} ${JSON.stringify(reply.body)}`);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
    const text = JSON.stringify(reply.body);
    for (const secret of [...SECRETS, bMember.email, b.email, itemB.id]) {
      if (attempt.path.includes(secret) || JSON.stringify(attempt.body ?? '').includes(secret)) continue;
      assert.ok(!text.includes(secret), `${what} leaked ${secret}: ${text}`);
    }
  }

  async function attack(as: RequestOptions, who: string, attempts: Attempt[]): Promise<void> {
    for (const attempt of attempts) assertRefused(attempt, await t.request(attempt.method, attempt.path, { ...as, body: attempt.body }), who);
  }

  it("every org- and project-scoped route with B's ids in the path gets 404/403 and no B data (A's owner key)", async () => {
    const before = await snapshotB();
    await attack({ key: a.key }, 'owner of A', pathAttacks());
    assert.deepEqual(await snapshotB(), before);
  });

  it('the same with the key, bound to A, of someone who is also an admin of B: a key reaches its own organization only', async () => {
    const before = await snapshotB();
    await attack({ key: bothInA }, 'member of both, A key', pathAttacks());
    const mine = await t.request('GET', '/api/v1/organizations', { key: bothInA });
    assert.deepEqual(
      mine.body.data.map((o: any) => o.id),
      [A.id],
    );
    assert.deepEqual(await snapshotB(), before);
  });

  it('the same through a web session of an admin of A: an organization the user is not in is a 404', async () => {
    const before = await snapshotB();
    await attack({ cookie: aSession }, 'web session of an A admin', pathAttacks());
    assert.deepEqual(await snapshotB(), before);
  });

  it("B's ids smuggled into request bodies on A's own routes get 404/403 and change nothing", async () => {
    const before = await snapshotB();
    const aProjectsBefore = (await t.request('GET', '/api/v1/projects', { key: a.key })).body;
    const aItemBefore = (await t.request('GET', `/api/v1/projects/${projectA.id}/spec/items/${itemA.id}`, { key: a.key })).body;
    await attack({ key: a.key }, 'owner of A', bodyAttacks());
    await attack({ key: bothInA }, 'member of both, A key', bodyAttacks().slice(0, 2));
    await attack({ cookie: aSession }, 'web session of an A admin', bodyAttacks());
    assert.deepEqual(await snapshotB(), before);
    assert.deepEqual((await t.request('GET', '/api/v1/projects', { key: a.key })).body, aProjectsBefore);
    assert.deepEqual((await t.request('GET', `/api/v1/projects/${projectA.id}/spec/items/${itemA.id}`, { key: a.key })).body, aItemBefore);
    assert.equal((await t.request('GET', `/api/v1/projects/${projectA.id}/members`, { key: a.key })).body.meta.total, 0);
  });

  it('lists and filters of A never show B: projects, a foreign parent_id filter, a slug both organizations use', async () => {
    const projects = await t.request('GET', '/api/v1/projects', { key: a.key });
    assert.deepEqual(
      projects.body.data.map((p: any) => p.id),
      [projectA.id],
    );
    const filtered = await t.request('GET', `/api/v1/projects/${projectA.id}/spec/items?parent_id=${itemB.id}`, { key: a.key });
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body, { data: [], meta: { total: 0, page: 1, per: 25 } });
    const shared = await t.request('GET', '/api/v1/projects/shared-slug', { key: a.key });
    assert.equal(shared.body.data.id, projectA.id, "a slug resolves inside the key's organization");
  });
});
