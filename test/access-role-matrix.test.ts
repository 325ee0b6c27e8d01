/**
 * The role matrix: for each organization role × project role × action, the allowed ones succeed and
 * the others get 403 FORBIDDEN — for every kind of credential a member can hold. Threat: a member doing
 * more than their role allows (privilege escalation), whatever credential they use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestOptions } from './helpers/http.js';
import { addToTeam, createItem, createProject, joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

type OrgRole = 'owner' | 'admin' | 'member';
type ProjectRole = 'admin' | 'editor' | 'viewer' | null;

interface Actor {
  org: OrgRole;
  project: ProjectRole;
}

const ACTORS: Actor[] = [
  { org: 'owner', project: null },
  { org: 'admin', project: null },
  { org: 'admin', project: 'viewer' },
  { org: 'member', project: 'admin' },
  { org: 'member', project: 'editor' },
  { org: 'member', project: 'viewer' },
  { org: 'member', project: null },
];

/**
 * A way of presenting a member's credentials. Each member gets their own credential of each kind.
 * Web sessions add one entry here (log the member in, return `{ cookie }`).
 */
interface CredentialKind {
  name: string;
  for(t: TestServer, person: Person): Promise<RequestOptions>;
}

const CREDENTIAL_KINDS: CredentialKind[] = [{ name: 'API key', for: async (_t, person) => ({ key: person.key }) }];

const RANK = { viewer: 1, editor: 2, admin: 3 } as const;
const effective = (actor: Actor): ProjectRole => (actor.org === 'owner' || actor.org === 'admin' ? 'admin' : actor.project);
const atLeast = (actor: Actor, minimum: keyof typeof RANK) => {
  const role = effective(actor);
  return role !== null && RANK[role] >= RANK[minimum];
};
const orgAtLeast = (actor: Actor, minimum: OrgRole) => ({ member: 1, admin: 2, owner: 3 })[actor.org] >= { member: 1, admin: 2, owner: 3 }[minimum];

interface Fixture {
  t: TestServer;
  org: string;
  owner: Person;
  ownerAs: RequestOptions;
  project: { id: string };
  item: { id: string; permalink: string };
  teammate: Person;
  people: Map<Actor, Person>;
}

interface Action {
  name: string;
  allowed(actor: Actor): boolean;
  /** Makes the request as `as`; `person` is the actor (some actions need a fresh resource set up for them first). */
  run(f: Fixture, as: RequestOptions, actor: Actor, person: Person): Promise<{ status: number; body: any }>;
}

let counter = 0;

const ACTIONS: Action[] = [
  { name: 'read project', allowed: (a) => atLeast(a, 'viewer'), run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}`, as) },
  { name: 'read items', allowed: (a) => atLeast(a, 'viewer'), run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}/spec/items`, as) },
  { name: 'read item', allowed: (a) => atLeast(a, 'viewer'), run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}/spec/items/${f.item.permalink}`, as) },
  { name: 'read team', allowed: (a) => atLeast(a, 'viewer'), run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}/members`, as) },
  {
    name: 'create item',
    allowed: (a) => atLeast(a, 'editor'),
    run: (f, as) => f.t.request('POST', `/api/v1/projects/${f.project.id}/spec/items`, { ...as, body: { type_of: 'technical', title: 'By the matrix' } }),
  },
  {
    name: 'edit item',
    allowed: (a) => atLeast(a, 'editor'),
    run: (f, as) => f.t.request('PATCH', `/api/v1/projects/${f.project.id}/spec/items/${f.item.id}`, { ...as, body: { title: `Edited ${++counter}` } }),
  },
  {
    name: 'transition item',
    allowed: (a) => atLeast(a, 'editor'),
    run: async (f, as) => {
      const item = await createItem(f.t, f.ownerAs, f.project.id);
      return f.t.request('POST', `/api/v1/projects/${f.project.id}/spec/items/${item.id}/transition`, { ...as, body: { state: 'inbox' } });
    },
  },
  {
    name: 'delete item',
    allowed: (a) => atLeast(a, 'editor'),
    run: async (f, as) => {
      const item = await createItem(f.t, f.ownerAs, f.project.id);
      return f.t.request('DELETE', `/api/v1/projects/${f.project.id}/spec/items/${item.id}`, as);
    },
  },
  {
    name: 'manage team',
    allowed: (a) => atLeast(a, 'admin'),
    run: (f, as) =>
      f.t.request('PATCH', `/api/v1/projects/${f.project.id}/members/${f.teammate.userId}`, { ...as, body: { role: ++counter % 2 ? 'editor' : 'viewer' } }),
  },
  {
    name: 'edit project',
    allowed: (a) => atLeast(a, 'admin'),
    run: (f, as) => f.t.request('PATCH', `/api/v1/projects/${f.project.id}`, { ...as, body: { description: `Edited ${++counter}` } }),
  },
  {
    name: 'delete project',
    allowed: (a) => atLeast(a, 'admin'),
    run: async (f, as, actor, person) => {
      const doomed = await createProject(f.t, f.ownerAs, { name: `Doomed ${++counter}` });
      if (actor.project) await addToTeam(f.t, f.ownerAs, doomed.id, person.userId, actor.project);
      return f.t.request('DELETE', `/api/v1/projects/${doomed.id}`, as);
    },
  },
  {
    name: 'create project',
    allowed: (a) => orgAtLeast(a, 'admin'),
    run: (f, as) => f.t.request('POST', '/api/v1/projects', { ...as, body: { name: `New ${++counter}`, organization_id: f.org } }),
  },
  { name: 'read organization', allowed: () => true, run: (f, as) => f.t.request('GET', `/api/v1/organizations/${f.org}`, as) },
  { name: 'list members', allowed: () => true, run: (f, as) => f.t.request('GET', `/api/v1/organizations/${f.org}/members`, as) },
  {
    name: 'manage members',
    allowed: (a) => orgAtLeast(a, 'admin'),
    run: (f, as) => f.t.request('POST', `/api/v1/organizations/${f.org}/invitations`, { ...as, body: { email: uniqueEmail('matrix'), role: 'member' } }),
  },
  {
    name: 'edit organization settings',
    allowed: (a) => orgAtLeast(a, 'admin'),
    run: (f, as) => f.t.request('PATCH', `/api/v1/organizations/${f.org}`, { ...as, body: { name: `Matrix ${++counter}` } }),
  },
  { name: 'billing', allowed: (a) => orgAtLeast(a, 'owner'), run: (f, as) => f.t.request('GET', `/api/v1/organizations/${f.org}/billing`, as) },
];

const label = (actor: Actor) => `org ${actor.org} × project ${actor.project ?? 'none'}`;

for (const kind of CREDENTIAL_KINDS) {
  describe(`role matrix through ${kind.name}`, () => {
    const f = {} as Fixture;
    const credentials = new Map<Actor, RequestOptions>();

    before(async () => {
      f.t = await startTestServer(MANY_AGENTS);
      f.owner = await newPerson(f.t, 'matrix-owner');
      f.org = f.owner.personalOrgId;
      f.ownerAs = { key: f.owner.key };
      f.project = await createProject(f.t, f.ownerAs, { name: 'Matrix' });
      f.item = await createItem(f.t, f.ownerAs, f.project.id);
      f.teammate = await joinOrg(f.t, f.ownerAs, f.org, 'member', 'teammate');
      await addToTeam(f.t, f.ownerAs, f.project.id, f.teammate.userId, 'viewer');
      f.people = new Map();
      for (const actor of ACTORS) {
        const person = actor.org === 'owner' ? f.owner : await joinOrg(f.t, f.ownerAs, f.org, actor.org, `${actor.org}-${actor.project ?? 'none'}`);
        if (actor.project) await addToTeam(f.t, f.ownerAs, f.project.id, person.userId, actor.project);
        f.people.set(actor, person);
        credentials.set(actor, await kind.for(f.t, person));
      }
    });
    after(() => f.t.close());

    for (const actor of ACTORS) {
      for (const action of ACTIONS) {
        const allowed = action.allowed(actor);
        it(`${kind.name}: ${label(actor)} → ${action.name}: ${allowed ? 'allowed' : '403'}`, async () => {
          const reply = await action.run(f, credentials.get(actor)!, actor, f.people.get(actor)!);
          if (allowed) assert.ok(reply.status >= 200 && reply.status < 300, `expected success, got ${reply.status} ${JSON.stringify(reply.body)}`);
          else {
            assert.equal(reply.status, 403, JSON.stringify(reply.body));
            assert.equal(reply.body.error_code, 'FORBIDDEN');
          }
        });
      }
    }

    it(`${kind.name}: delete organization — 403 for everyone but the owner, then the owner deletes it`, async () => {
      for (const actor of ACTORS.filter((a) => a.org !== 'owner')) {
        const reply = await f.t.request('DELETE', `/api/v1/organizations/${f.org}`, credentials.get(actor)!);
        assert.equal(reply.status, 403, `${label(actor)}: ${JSON.stringify(reply.body)}`);
      }
      const owner = ACTORS.find((a) => a.org === 'owner')!;
      assert.equal((await f.t.request('DELETE', `/api/v1/organizations/${f.org}`, credentials.get(owner)!)).status, 204);
      assert.equal((await f.t.request('GET', `/api/v1/organizations/${f.org}`, { key: f.teammate.personalKey })).status, 404);
    });
  });
}
