/**
 * Scoped keys (§9): a key limited to some scopes or some projects is allowed exactly the operations
 * they cover, and refused everything else with 403 INSUFFICIENT_SCOPE. Threat: a key that leaks, or an
 * agent that misbehaves, does more than its owner meant it to (touches members or keys, reaches other
 * projects), or mints itself a stronger key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply } from './helpers/http.js';
import { runFuncspec } from './helpers/operator.js';
import { accept, addToTeam, createItem, createProject, inviteByMail, joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

/** The scopes of §9 (and `org:write`), and what each write scope includes: written here, checked against /openapi.json. */
const SCOPES = [
  'org:read',
  'org:write',
  'members:write',
  'keys:write',
  'projects:read',
  'projects:write',
  'items:read',
  'items:write',
  'credits:read',
  'credits:write',
  'audit:read',
] as const;
const INCLUDES: Record<string, string[]> = {
  'org:write': ['org:read'],
  'projects:write': ['projects:read'],
  'items:write': ['items:read'],
  'credits:write': ['credits:read'],
};
const GRANTS = ['*', ...SCOPES];

function covers(grant: string, required: string | null): boolean {
  return required === null || grant === '*' || grant === required || (INCLUDES[grant] ?? []).includes(required);
}

interface Fixture {
  t: TestServer;
  org: string;
  owner: { key: string; userId: string };
  /** A plain member of the organization (the target of member and team changes). */
  member: Person;
  /** Two projects of the organization, and an item in the first. */
  project: string;
  otherProject: string;
  item: string;
}

/** What one call needs: which key makes the scoped key, in which organization, and the request's parts. */
interface Call {
  /** The key that mints the scoped key (default: the owner's), in `org` (default: the fixture's). */
  maker?: string;
  org?: string;
  /** Path parameters by name; `org` and a project `id` default to the fixture's. */
  params?: Record<string, string>;
  body?: unknown;
  /** The project the operation acts on, if any (a project-bound key must reach it). */
  project?: string;
}

interface Case {
  method: string;
  /** As in /openapi.json. */
  path: string;
  scope: string | null;
  /** Refused to any key bound to projects (x-all-projects). */
  allProjects?: boolean;
  /** The status of success. */
  ok: number;
  /** Makes what the call acts on (fresh for every call where the call uses it up). `keyId`: the scoped key's own id. */
  prepare?(f: Fixture): Promise<Call>;
  body?(f: Fixture, call: Call, keyId: string): unknown;
  headers?: Record<string, string>;
  params?(f: Fixture, call: Call, keyId: string): Record<string, string>;
}

let counter = 0;
const next = () => ++counter;

async function ok(reply: Promise<Reply>, status: number): Promise<any> {
  const answer = await reply;
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  return answer.body;
}

const owner = (f: Fixture) => ({ key: f.owner.key });

/**
 * A new organization the owner makes for one call (its deletion or handover leaves the fixture alone),
 * with a project (for keys bound to one) and, if asked, a second member.
 */
async function spareOrg(f: Fixture, withMember = false): Promise<Call & { memberId?: string }> {
  const made = await ok(f.t.request('POST', '/api/v1/organizations', { ...owner(f), body: { name: `Spare ${next()}` } }), 201);
  const maker: string = made.data.api_key.key;
  const org: string = made.data.id;
  const project = (await createProject(f.t, { key: maker }, { name: 'Spare' })).id;
  const member = withMember ? await joinOrg(f.t, { key: maker }, org, 'member', 'spare-member') : undefined;
  return { maker, org, project, memberId: member?.userId };
}

/** Every operation that takes API keys, with a request that succeeds when the key is allowed. */
const CASES: Case[] = [
  { method: 'GET', path: '/api/v1/me', scope: null, ok: 200 },
  {
    // Each tool call is its HTTP operation, checked there (mcp.test.ts); the MCP request itself needs no scope.
    method: 'POST',
    path: '/mcp',
    scope: null,
    ok: 200,
    headers: { accept: 'application/json, text/event-stream' },
    body: () => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'matrix', version: '1' } },
    }),
  },
  { method: 'GET', path: '/api/v1/credits/balance', scope: 'credits:read', ok: 200 },
  { method: 'GET', path: '/api/v1/organizations/{org}/credits/ledger', scope: 'credits:read', ok: 200 },
  {
    method: 'POST',
    path: '/api/v1/organizations/{org}/credits/debits',
    scope: 'credits:write',
    ok: 201,
    body: () => ({ amount: 0.01, reason: 'matrix', idempotency_key: `matrix-${next()}` }),
  },
  { method: 'GET', path: '/api/v1/organizations/{org}/api-keys', scope: 'org:read', ok: 200 },
  { method: 'POST', path: '/api/v1/organizations/{org}/api-keys', scope: 'keys:write', ok: 201, body: () => ({ name: `Minted ${next()}` }) },
  { method: 'GET', path: '/api/v1/organizations/{org}/api-keys/{id}', scope: 'org:read', ok: 200, params: (_f, _c, keyId) => ({ id: keyId }) },
  {
    method: 'DELETE',
    path: '/api/v1/organizations/{org}/api-keys/{id}',
    scope: 'keys:write',
    ok: 204,
    prepare: async (f) => ({
      params: { id: (await ok(f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { ...owner(f), body: { name: 'Doomed' } }), 201)).data.id },
    }),
  },
  {
    method: 'POST',
    path: '/api/v1/organizations/{org}/api-keys/{id}/rotate',
    scope: 'keys:write',
    ok: 201,
    params: (_f, _c, keyId) => ({ id: keyId }),
    body: () => ({}),
  },
  { method: 'GET', path: '/api/v1/organizations/{org}/usage', scope: 'org:read', ok: 200 },
  { method: 'GET', path: '/api/v1/organizations/{org}/audit-log', scope: 'audit:read', ok: 200 },
  { method: 'GET', path: '/api/v1/organizations', scope: 'org:read', ok: 200 },
  { method: 'POST', path: '/api/v1/organizations', scope: 'org:write', allProjects: true, ok: 201, body: () => ({ name: `Made by a key ${next()}` }) },
  { method: 'GET', path: '/api/v1/organizations/{org}', scope: 'org:read', ok: 200 },
  { method: 'PATCH', path: '/api/v1/organizations/{org}', scope: 'org:write', ok: 200, body: () => ({ name: `Scoped Inc ${next()}` }) },
  { method: 'DELETE', path: '/api/v1/organizations/{org}', scope: 'org:write', allProjects: true, ok: 204, prepare: (f) => spareOrg(f) },
  { method: 'GET', path: '/api/v1/organizations/{org}/billing', scope: 'credits:read', ok: 200 },
  { method: 'GET', path: '/api/v1/organizations/{org}/members', scope: 'org:read', ok: 200 },
  { method: 'GET', path: '/api/v1/organizations/{org}/members/{user_id}', scope: 'org:read', ok: 200, params: (f) => ({ user_id: f.member.userId }) },
  {
    method: 'PATCH',
    path: '/api/v1/organizations/{org}/members/{user_id}',
    scope: 'members:write',
    ok: 200,
    params: (f) => ({ user_id: f.member.userId }),
    body: () => ({ role: 'member' }),
  },
  {
    method: 'DELETE',
    path: '/api/v1/organizations/{org}/members/{user_id}',
    scope: 'members:write',
    ok: 204,
    prepare: async (f) => ({ params: { user_id: (await joinOrg(f.t, owner(f), f.org, 'member', 'leaving')).userId } }),
  },
  {
    method: 'POST',
    path: '/api/v1/organizations/{org}/transfer-ownership',
    scope: 'members:write',
    ok: 200,
    prepare: (f) => spareOrg(f, true),
    body: (_f, call) => ({ user_id: (call as { memberId: string }).memberId }),
  },
  { method: 'GET', path: '/api/v1/organizations/{org}/invitations', scope: 'org:read', ok: 200 },
  {
    method: 'POST',
    path: '/api/v1/organizations/{org}/invitations',
    scope: 'members:write',
    ok: 201,
    body: () => ({ email: uniqueEmail('invited'), role: 'member' }),
  },
  {
    method: 'DELETE',
    path: '/api/v1/organizations/{org}/invitations/{id}',
    scope: 'members:write',
    ok: 204,
    prepare: async (f) => ({ params: { id: (await inviteByMail(f.t, owner(f), f.org, uniqueEmail('uninvited'), 'member')).id } }),
  },
  {
    // The invited person accepts with a key of their own organization; the answer hands them a key for the one joined.
    method: 'POST',
    path: '/api/v1/invitations/accept',
    scope: 'members:write',
    allProjects: true,
    ok: 200,
    prepare: async (f) => {
      const invitee = await newPerson(f.t, 'invitee');
      const { token } = await inviteByMail(f.t, owner(f), f.org, invitee.email, 'member');
      const own = await createProject(f.t, { key: invitee.key }, { name: 'Own' });
      return { maker: invitee.key, org: invitee.personalOrgId, body: { token }, project: own.id };
    },
  },
  { method: 'GET', path: '/api/v1/projects', scope: 'projects:read', ok: 200 },
  { method: 'POST', path: '/api/v1/projects', scope: 'projects:write', allProjects: true, ok: 201, body: () => ({ name: `Project ${next()}` }) },
  { method: 'GET', path: '/api/v1/projects/{id}', scope: 'projects:read', ok: 200 },
  { method: 'PATCH', path: '/api/v1/projects/{id}', scope: 'projects:write', ok: 200, body: () => ({ description: `Edited ${next()}` }) },
  {
    method: 'DELETE',
    path: '/api/v1/projects/{id}',
    scope: 'projects:write',
    ok: 204,
    prepare: async (f) => ({ project: (await createProject(f.t, owner(f), { name: `Doomed ${next()}` })).id }),
  },
  { method: 'GET', path: '/api/v1/projects/{id}/members', scope: 'projects:read', ok: 200 },
  {
    method: 'POST',
    path: '/api/v1/projects/{id}/members',
    scope: 'members:write',
    ok: 201,
    prepare: async (f) => ({ project: (await createProject(f.t, owner(f), { name: `Team ${next()}` })).id }),
    body: (f) => ({ user_id: f.member.userId, role: 'viewer' }),
  },
  {
    method: 'PATCH',
    path: '/api/v1/projects/{id}/members/{user_id}',
    scope: 'members:write',
    ok: 200,
    prepare: (f) => projectWithTeammate(f),
    params: (f) => ({ user_id: f.member.userId }),
    body: () => ({ role: 'editor' }),
  },
  {
    method: 'DELETE',
    path: '/api/v1/projects/{id}/members/{user_id}',
    scope: 'members:write',
    ok: 204,
    prepare: (f) => projectWithTeammate(f),
    params: (f) => ({ user_id: f.member.userId }),
  },
  { method: 'GET', path: '/api/v1/projects/{id}/spec/items', scope: 'items:read', ok: 200 },
  { method: 'POST', path: '/api/v1/projects/{id}/spec/items', scope: 'items:write', ok: 201, body: () => ({ type_of: 'functional', title: `Item ${next()}` }) },
  { method: 'GET', path: '/api/v1/projects/{id}/spec/items/{item}', scope: 'items:read', ok: 200, params: (f) => ({ item: f.item }) },
  {
    method: 'PATCH',
    path: '/api/v1/projects/{id}/spec/items/{item}',
    scope: 'items:write',
    ok: 200,
    params: (f) => ({ item: f.item }),
    body: () => ({ title: `Edited ${next()}` }),
  },
  { method: 'DELETE', path: '/api/v1/projects/{id}/spec/items/{item}', scope: 'items:write', ok: 204, prepare: (f) => freshItem(f) },
  {
    method: 'POST',
    path: '/api/v1/projects/{id}/spec/items/{item}/transition',
    scope: 'items:write',
    ok: 200,
    prepare: (f) => freshItem(f),
    body: () => ({ state: 'inbox' }),
  },
  {
    method: 'POST',
    path: '/api/v1/projects/{id}/spec/items/{item}/transition_implementation',
    scope: 'items:write',
    ok: 200,
    prepare: (f) => freshItem(f),
    body: () => ({ implementation_status: 'not_applicable' }),
  },
];

async function projectWithTeammate(f: Fixture): Promise<Call> {
  const project = (await createProject(f.t, owner(f), { name: `Team ${next()}` })).id;
  await addToTeam(f.t, owner(f), project, f.member.userId, 'viewer');
  return { project };
}

async function freshItem(f: Fixture): Promise<Call> {
  return { params: { item: (await createItem(f.t, owner(f), f.project)).id } };
}

/** The key-taking operations of /openapi.json, with their x-scope and x-all-projects. */
async function documentedOperations(t: TestServer): Promise<Map<string, { scope: string | null; allProjects: boolean }>> {
  const doc = (await t.request('GET', '/openapi.json')).body;
  const operations = new Map<string, { scope: string | null; allProjects: boolean }>();
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      if (!(operation.security ?? []).some((entry: object) => 'apiKey' in entry)) continue;
      assert.ok('x-scope' in operation, `${method.toUpperCase()} ${path} names its scope`);
      operations.set(`${method.toUpperCase()} ${path}`, { scope: operation['x-scope'], allProjects: operation['x-all-projects'] === true });
    }
  }
  return operations;
}

/** Mints a key with `scopes` (and `project_ids`) through the call's maker, then makes the call with it. */
async function callWith(f: Fixture, c: Case, scopes: string[], projectIds?: (call: Call) => string[]): Promise<{ reply: Reply; call: Call }> {
  const call = c.prepare ? await c.prepare(f) : {};
  const project = call.project ?? f.project;
  const minted = await ok(
    f.t.request('POST', `/api/v1/organizations/${call.org ?? f.org}/api-keys`, {
      key: call.maker ?? f.owner.key,
      body: { name: `scoped ${next()}`, scopes, ...(projectIds ? { project_ids: projectIds({ ...call, project }) } : {}) },
    }),
    201,
  );
  const params: Record<string, string> = { org: call.org ?? f.org, id: project, ...call.params, ...c.params?.(f, call, minted.data.id) };
  const path = c.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!));
  const body = call.body ?? c.body?.(f, call, minted.data.id);
  const reply = await f.t.request(c.method, path, { key: minted.data.key, headers: c.headers, ...(body === undefined ? {} : { body }) });
  return { reply, call: { ...call, project } };
}

const label = (c: Case) => `${c.method} ${c.path}`;

describe('scoped keys', () => {
  const f = {} as Fixture;

  before(async () => {
    f.t = await startTestServer(MANY_AGENTS);
    const founder = await newPerson(f.t, 'scopes-owner');
    f.owner = { key: founder.key, userId: founder.userId };
    f.org = founder.personalOrgId;
    // The matrix makes some thousand requests with the owner's key.
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', f.org, 'enterprise', '--rate-limit', '1000000'], f.t.env)).code, 0);
    assert.equal((await runFuncspec(['admin', 'credits', 'grant', f.org, '1000'], f.t.env)).code, 0);
    f.member = await joinOrg(f.t, owner(f), f.org, 'member', 'scopes-member');
    f.project = (await createProject(f.t, owner(f), { name: 'Checkout', slug: 'checkout' })).id;
    f.otherProject = (await createProject(f.t, owner(f), { name: 'Billing', slug: 'billing' })).id;
    f.item = (await createItem(f.t, owner(f), f.project)).id;
  });
  after(() => f.t.close());

  it('/openapi.json names the scope of every operation that takes keys, and the scopes with what they include', async () => {
    const documented = await documentedOperations(f.t);
    assert.deepEqual([...documented.keys()].sort(), CASES.map(label).sort(), 'every key-taking operation is in this matrix');
    for (const c of CASES) {
      assert.deepEqual(documented.get(label(c)), { scope: c.scope, allProjects: c.allProjects === true }, label(c));
    }
    const doc = (await f.t.request('GET', '/openapi.json')).body;
    assert.deepEqual(
      doc['x-scopes'].map((s: { scope: string; includes: string[] }) => [s.scope, s.includes]),
      SCOPES.map((scope) => [scope, INCLUDES[scope] ?? []]),
    );
    const balance = doc.paths['/api/v1/credits/balance'].get;
    assert.deepEqual(balance.security, [{ apiKey: ['credits:read'] }, { bearer: ['credits:read'] }, { session: [] }]);
  });

  it('scope matrix: every operation in /openapi.json × a key holding one scope — allowed exactly where the scope covers it, else 403 INSUFFICIENT_SCOPE', async () => {
    const failures: string[] = [];
    for (const c of CASES) {
      await Promise.all(
        GRANTS.map(async (grant) => {
          const { reply } = await callWith(f, c, [grant]);
          const allowed = covers(grant, c.scope);
          const good = allowed
            ? reply.status === c.ok
            : reply.status === 403 && reply.body.error_code === 'INSUFFICIENT_SCOPE' && reply.body.details.required_scope === c.scope;
          if (!good)
            failures.push(
              `${label(c)} with [${grant}]: expected ${allowed ? c.ok : '403 INSUFFICIENT_SCOPE'}, got ${reply.status} ${JSON.stringify(reply.body)}`,
            );
        }),
      );
    }
    assert.deepEqual(failures, []);
  });

  it('project matrix: every operation × a key bound to one project — its project and the organization allowed, another project (or every project) 403 INSUFFICIENT_SCOPE', async () => {
    const failures: string[] = [];
    const projectPath = (c: Case) => c.path.startsWith('/api/v1/projects/{id}');
    for (const c of CASES) {
      const bindings = projectPath(c) ? (['its own', 'another'] as const) : (['its own'] as const);
      for (const binding of bindings) {
        const { reply, call } = await callWith(f, c, ['*'], (at) => [binding === 'its own' ? at.project! : f.otherProject]);
        const allowed = !c.allProjects && binding === 'its own';
        const good = allowed
          ? reply.status === c.ok
          : reply.status === 403 && reply.body.error_code === 'INSUFFICIENT_SCOPE' && reply.body.details.required_scope === c.scope;
        if (!good)
          failures.push(
            `${label(c)} bound to ${binding} project: expected ${allowed ? c.ok : '403 INSUFFICIENT_SCOPE'}, got ${reply.status} ${JSON.stringify(reply.body)}`,
          );
        if (allowed && label(c) === 'GET /api/v1/projects') {
          assert.deepEqual(
            reply.body.data.map((p: { id: string }) => p.id),
            [call.project],
            'a key bound to a project lists that project only',
          );
        }
        if (!allowed && projectPath(c)) assert.equal(reply.body.details.project_id, call.project, `${label(c)} names the project refused`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('listings show scopes and project_ids; by default a key holds ["*"] and every project; project slugs are stored as ids', async () => {
    const plain = await ok(f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { ...owner(f), body: { name: 'Plain' } }), 201);
    assert.deepEqual([plain.data.scopes, plain.data.project_ids], [['*'], null]);
    const ci = await ok(
      f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, {
        ...owner(f),
        body: { name: 'CI', scopes: ['items:read', 'items:read'], project_ids: ['checkout'] },
      }),
      201,
    );
    assert.deepEqual([ci.data.scopes, ci.data.project_ids], [['items:read'], [f.project]]);
    const listed = await ok(f.t.request('GET', `/api/v1/organizations/${f.org}/api-keys?per=100`, owner(f)), 200);
    const row = listed.data.find((k: { id: string }) => k.id === ci.data.id);
    assert.deepEqual([row.scopes, row.project_ids], [['items:read'], [f.project]]);
    assert.deepEqual((await ok(f.t.request('GET', `/api/v1/organizations/${f.org}/api-keys/${ci.data.id}`, owner(f)), 200)).data.scopes, ['items:read']);
  });

  it('bad scopes and projects are refused with 422 naming the field, and make no key', async () => {
    const count = async () => (await ok(f.t.request('GET', `/api/v1/organizations/${f.org}/api-keys?per=1`, owner(f)), 200)).meta.total;
    const before = await count();
    for (const [body, field] of [
      [{ scopes: ['items:delete'] }, 'scopes.0'],
      [{ scopes: [] }, 'scopes'],
      [{ scopes: 'items:read' }, 'scopes'],
      [{ project_ids: [] }, 'project_ids'],
      [{ project_ids: ['no-such-project'] }, 'project_ids'],
      [{ project_ids: [f.otherProject, 'nope'] }, 'project_ids'],
    ] as const) {
      const reply = await f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { ...owner(f), body: { name: 'Bad', ...body } });
      assertProblem(reply, 422, 'VALIDATION_FAILED');
      assert.ok(field in reply.body.details.fields, `${JSON.stringify(body)}: ${JSON.stringify(reply.body.details)}`);
    }
    // A project of another organization is no project of this one.
    const stranger = await newPerson(f.t, 'stranger');
    const theirs = await createProject(f.t, { key: stranger.key }, { name: 'Theirs' });
    assertProblem(
      await f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { ...owner(f), body: { name: 'Bad', project_ids: [theirs.id] } }),
      422,
      'VALIDATION_FAILED',
    );
    assert.equal(await count(), before);
  });

  it('threat: a scoped key mints a key with more scopes or projects than it has — refused; what it does not ask for it inherits', async () => {
    const mint = (key: string, body: Record<string, unknown>) =>
      f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { key, body: { name: `Child ${next()}`, ...body } });
    const agent = await ok(mint(f.owner.key, { scopes: ['keys:write', 'items:write'], project_ids: [f.project] }), 201);
    const key: string = agent.data.key;

    for (const [body, field] of [
      [{ scopes: ['*'] }, 'scopes'],
      [{ scopes: ['members:write'] }, 'scopes'],
      [{ scopes: ['items:write', 'org:read'] }, 'scopes'],
      [{ project_ids: [f.otherProject] }, 'project_ids'],
      [{ project_ids: null }, 'project_ids'],
    ] as const) {
      const reply = await mint(key, body);
      assertProblem(reply, 422, 'VALIDATION_FAILED');
      assert.ok(field in reply.body.details.fields, `${JSON.stringify(body)} names ${field}: ${JSON.stringify(reply.body.details)}`);
    }
    const inherited = await ok(mint(key, {}), 201);
    assert.deepEqual([inherited.data.scopes, inherited.data.project_ids], [['keys:write', 'items:write'], [f.project]]);
    const narrower = await ok(mint(key, { scopes: ['items:read'] }), 201);
    assert.deepEqual([narrower.data.scopes, narrower.data.project_ids], [['items:read'], [f.project]], 'a write scope may hand out its read scope');

    // Rotating: a narrower key may not rotate a wider key of the same owner (it would walk away with its secret).
    const reader = await ok(mint(f.owner.key, { scopes: ['keys:write'] }), 201);
    const wide = await ok(mint(f.owner.key, { scopes: ['*'] }), 201);
    const rotated = await f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys/${wide.data.id}/rotate`, { key: reader.data.key, body: {} });
    assertProblem(rotated, 403, 'FORBIDDEN');
    assert.equal(rotated.body.details.reason, 'key_attenuation');
    // Rotating itself keeps its scopes and projects.
    const self = await ok(f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys/${agent.data.id}/rotate`, { key, body: {} }), 201);
    assert.deepEqual([self.data.scopes, self.data.project_ids], [['keys:write', 'items:write'], [f.project]]);
  });

  it('threat: a scoped key creates an organization or accepts an invitation to get an unscoped key — the key handed out holds the same scopes', async () => {
    const limited = await ok(
      f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { ...owner(f), body: { name: 'Org maker', scopes: ['org:write', 'items:read'] } }),
      201,
    );
    const made = await ok(f.t.request('POST', '/api/v1/organizations', { key: limited.data.key, body: { name: `Escape ${next()}` } }), 201);
    const child = await f.t.request('POST', `/api/v1/organizations/${made.data.id}/api-keys`, { key: made.data.api_key.key, body: { name: 'Wider' } });
    assertProblem(child, 403, 'INSUFFICIENT_SCOPE');
    assert.equal(child.body.details.required_scope, 'keys:write');
    const renamed = await f.t.request('PATCH', `/api/v1/organizations/${made.data.id}`, { key: made.data.api_key.key, body: { name: 'Renamed' } });
    assert.equal(renamed.status, 200, 'org:write carried over');
    const invite = await f.t.request('POST', `/api/v1/organizations/${made.data.id}/invitations`, {
      key: made.data.api_key.key,
      body: { email: uniqueEmail('x'), role: 'member' },
    });
    assertProblem(invite, 403, 'INSUFFICIENT_SCOPE');

    const invitee = await newPerson(f.t, 'scoped-invitee');
    const joiner = await ok(
      f.t.request('POST', `/api/v1/organizations/${invitee.personalOrgId}/api-keys`, {
        key: invitee.key,
        body: { name: 'Joiner', scopes: ['members:write', 'items:read'] },
      }),
      201,
    );
    const { token } = await inviteByMail(f.t, owner(f), f.org, invitee.email, 'admin');
    const accepted = await accept(f.t, joiner.data.key, token);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const handedOut = accepted.body.data.api_key.key;
    assertProblem(await f.t.request('DELETE', `/api/v1/organizations/${f.org}/api-keys/${joiner.data.id}`, { key: handedOut }), 403, 'INSUFFICIENT_SCOPE');
    assert.equal((await f.t.request('GET', `/api/v1/projects/${f.project}/spec/items`, { key: handedOut })).status, 200, 'items:read carried over');
  });

  it("a scope never adds to the role: a viewer-level member's items:write key still cannot write", async () => {
    await addToTeam(f.t, owner(f), f.otherProject, f.member.userId, 'viewer');
    const key = (
      await ok(
        f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { key: f.member.key, body: { name: 'Viewer writes', scopes: ['items:write'] } }),
        201,
      )
    ).data.key;
    assert.equal((await f.t.request('GET', `/api/v1/projects/${f.otherProject}/spec/items`, { key })).status, 200);
    const write = await f.t.request('POST', `/api/v1/projects/${f.otherProject}/spec/items`, { key, body: { type_of: 'functional', title: 'No' } });
    assertProblem(write, 403, 'FORBIDDEN');
  });

  it("a refused request still counts against the key's limit and carries the rate-limit headers", async () => {
    const key = (
      await ok(f.t.request('POST', `/api/v1/organizations/${f.org}/api-keys`, { ...owner(f), body: { name: 'Counted', scopes: ['items:read'] } }), 201)
    ).data.key;
    const first = await f.t.request('GET', '/api/v1/organizations', { key });
    assertProblem(first, 403, 'INSUFFICIENT_SCOPE');
    const second = await f.t.request('GET', '/api/v1/me', { key });
    assert.equal(Number(second.headers.get('x-ratelimit-remaining')), Number(first.headers.get('x-ratelimit-remaining')) - 1);
  });
});
