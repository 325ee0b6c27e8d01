/**
 * The role matrix: for each organization role × project role × action, the allowed ones succeed and
 * the others get 403 FORBIDDEN — for every kind of credential a member can hold. Threat: a member doing
 * more than their role allows (privilege escalation), whatever credential they use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply, RequestOptions } from './helpers/http.js';
import { addToTeam, createItem, createProject, inviteByMail, MANY_AGENTS, newPerson, webPerson } from './helpers/orgs.js';
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
 * A kind of credential a member can hold. Each member gets their own. An API key is bound to one
 * organization, so joining (or creating) an organization hands out a key for it; a web session acts
 * in every organization of its user. Sessions add one entry here.
 */
interface CredentialKind {
  name: string;
  /** A new verified user and their credential. */
  newUser(t: TestServer, label: string): Promise<{ userId: string; email: string; as: RequestOptions }>;
  /** The credential that acts in the organization the user just created or joined (`reply`: that answer). */
  inOrg(user: { as: RequestOptions }, reply: Reply): RequestOptions;
}

const CREDENTIAL_KINDS: CredentialKind[] = [
  {
    name: 'API key',
    newUser: async (t, label) => {
      const person = await newPerson(t, label);
      return { userId: person.userId, email: person.email, as: { key: person.key } };
    },
    inOrg: (_user, reply) => ({ key: reply.body.data.api_key.key }),
  },
  {
    name: 'web session',
    newUser: async (t, label) => {
      const person = await webPerson(t, label);
      return { userId: person.userId, email: person.email, as: { cookie: person.cookie } };
    },
    inOrg: (user) => user.as,
  },
];

const RANK = { viewer: 1, editor: 2, admin: 3 } as const;
const effective = (actor: Actor): ProjectRole => (actor.org === 'owner' || actor.org === 'admin' ? 'admin' : actor.project);
const atLeast = (actor: Actor, minimum: keyof typeof RANK) => {
  const role = effective(actor);
  return role !== null && RANK[role] >= RANK[minimum];
};
const orgAtLeast = (actor: Actor, minimum: OrgRole) => ({ member: 1, admin: 2, owner: 3 })[actor.org] >= { member: 1, admin: 2, owner: 3 }[minimum];

interface Member {
  userId: string;
  as: RequestOptions;
}

interface Fixture {
  t: TestServer;
  org: string;
  owner: Member;
  ownerAs: RequestOptions;
  project: { id: string };
  item: { id: string; permalink: string };
  teammate: Member;
  people: Map<Actor, Member>;
  /** Someone outside the organization, to look at it once it is gone. */
  outsider: RequestOptions;
}

interface Action {
  name: string;
  allowed(actor: Actor): boolean;
  /** Makes the request as `as`; `person` is the actor (some actions need a fresh resource set up for them first). */
  run(f: Fixture, as: RequestOptions, actor: Actor, person: Member): Promise<{ status: number; body: any }>;
}

let counter = 0;

const ACTIONS: Action[] = [
  { name: 'read project', allowed: (a) => atLeast(a, 'viewer'), run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}`, as) },
  { name: 'read items', allowed: (a) => atLeast(a, 'viewer'), run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}/spec/items`, as) },
  {
    name: 'read item',
    allowed: (a) => atLeast(a, 'viewer'),
    run: (f, as) => f.t.request('GET', `/api/v1/projects/${f.project.id}/spec/items/${f.item.permalink}`, as),
  },
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

    /** A new user of this credential kind who joined the organization with `role` through an e-mailed invitation. */
    async function join(role: 'admin' | 'member', who: string): Promise<Member> {
      const user = await kind.newUser(f.t, who);
      const { token } = await inviteByMail(f.t, f.ownerAs, f.org, user.email, role);
      const accepted = await f.t.request('POST', '/api/v1/invitations/accept', { ...user.as, body: { token } });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      return { userId: user.userId, as: kind.inOrg(user, accepted) };
    }

    before(async () => {
      f.t = await startTestServer(MANY_AGENTS);
      const founder = await kind.newUser(f.t, 'matrix-owner');
      const created = await f.t.request('POST', '/api/v1/organizations', { ...founder.as, body: { name: 'Matrix Inc' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      f.org = created.body.data.id;
      f.ownerAs = kind.inOrg(founder, created);
      f.owner = { userId: founder.userId, as: f.ownerAs };
      f.project = await createProject(f.t, f.ownerAs, { name: 'Matrix' });
      f.item = await createItem(f.t, f.ownerAs, f.project.id);
      f.teammate = await join('member', 'teammate');
      await addToTeam(f.t, f.ownerAs, f.project.id, f.teammate.userId, 'viewer');
      f.outsider = (await kind.newUser(f.t, 'outsider')).as;
      f.people = new Map();
      for (const actor of ACTORS) {
        const person = actor.org === 'owner' ? f.owner : await join(actor.org, `${actor.org}-${actor.project ?? 'none'}`);
        if (actor.project) await addToTeam(f.t, f.ownerAs, f.project.id, person.userId, actor.project);
        f.people.set(actor, person);
      }
    });
    after(() => f.t.close());

    for (const actor of ACTORS) {
      for (const action of ACTIONS) {
        const allowed = action.allowed(actor);
        it(`${kind.name}: ${label(actor)} → ${action.name}: ${allowed ? 'allowed' : '403'}`, async () => {
          const member = f.people.get(actor)!;
          const reply = await action.run(f, member.as, actor, member);
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
        const reply = await f.t.request('DELETE', `/api/v1/organizations/${f.org}`, f.people.get(actor)!.as);
        assert.equal(reply.status, 403, `${label(actor)}: ${JSON.stringify(reply.body)}`);
      }
      const owner = ACTORS.find((a) => a.org === 'owner')!;
      assert.equal((await f.t.request('DELETE', `/api/v1/organizations/${f.org}`, f.people.get(owner)!.as)).status, 204);
      assert.equal((await f.t.request('GET', `/api/v1/organizations/${f.org}`, f.outsider)).status, 404);
    });
  });
}
