/**
 * Bad input on the organization and project routes: unknown roles, self-promotion, foreign parent ids,
 * oversized or mistyped fields. Threat: a malformed or hostile request that half-applies, escalates a
 * role, or links data across projects. Each gets the §2 problem envelope and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply } from './helpers/http.js';
import { addToTeam, createItem, createProject, joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('bad input on organizations, members, invitations, projects and items', () => {
  let t: TestServer;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let org: string;
  let project: any;
  let otherProject: any;
  let item: any;
  let foreignItem: any;
  let otherOrgItem: any;

  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    owner = await newPerson(t, 'strict-owner');
    org = owner.personalOrgId;
    admin = await joinOrg(t, { key: owner.key }, org, 'admin');
    member = await joinOrg(t, { key: owner.key }, org, 'member');
    project = await createProject(t, { key: owner.key }, { name: 'Strict' });
    otherProject = await createProject(t, { key: owner.key }, { name: 'Neighbour' });
    await addToTeam(t, { key: owner.key }, project.id, member.userId, 'editor');
    item = await createItem(t, { key: owner.key }, project.id, { title: 'Keep me' });
    foreignItem = await createItem(t, { key: owner.key }, otherProject.id, { title: 'Next door' });
    const stranger = await newPerson(t, 'stranger');
    const strangerProject = await createProject(t, { key: stranger.key }, { name: 'Far away' });
    otherOrgItem = await createItem(t, { key: stranger.key }, strangerProject.id);
  });
  after(() => t.close());

  /** Every row these requests could touch, straight from the database. */
  async function snapshot(): Promise<unknown> {
    const db = t.server.ctx.db;
    return {
      orgs: await db.selectFrom('organizations').selectAll().orderBy('id').execute(),
      memberships: await db.selectFrom('memberships').selectAll().orderBy('org_id').orderBy('user_id').execute(),
      invitations: await db.selectFrom('invitations').selectAll().orderBy('id').execute(),
      projects: await db.selectFrom('projects').selectAll().orderBy('id').execute(),
      team: await db.selectFrom('project_members').selectAll().orderBy('project_id').orderBy('user_id').execute(),
      items: await db.selectFrom('spec_items').selectAll().orderBy('id').execute(),
      tags: await db.selectFrom('spec_item_tags').selectAll().orderBy('item_id').orderBy('tag').execute(),
      keys: await db.selectFrom('api_keys').select(['id', 'revoked_at']).orderBy('id').execute(),
      audit: (await db.selectFrom('audit_log').select('id').execute()).length,
    };
  }

  async function refusedWithoutChange(cases: Array<[string, () => Promise<Reply>, number, string]>): Promise<void> {
    const before = await snapshot();
    for (const [name, send, status, code] of cases) {
      const reply = await send();
      try {
        assertProblem(reply, status, code);
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`);
      }
      if (code === 'VALIDATION_FAILED') assert.equal(typeof reply.body.details.fields, 'object', name);
    }
    assert.deepEqual(await snapshot(), before);
  }

  const orgPath = (suffix = '') => `/api/v1/organizations/${org}${suffix}`;
  const projectPath = (suffix = '') => `/api/v1/projects/${project.id}${suffix}`;

  it('unknown roles get 422 VALIDATION_FAILED and change nothing', async () => {
    const o = { key: owner.key };
    await refusedWithoutChange([
      ['org role superuser', () => t.request('PATCH', orgPath(`/members/${member.userId}`), { ...o, body: { role: 'superuser' } }), 422, 'VALIDATION_FAILED'],
      ['org role OWNER', () => t.request('PATCH', orgPath(`/members/${member.userId}`), { ...o, body: { role: 'OWNER' } }), 422, 'VALIDATION_FAILED'],
      ['org role number', () => t.request('PATCH', orgPath(`/members/${member.userId}`), { ...o, body: { role: 3 } }), 422, 'VALIDATION_FAILED'],
      ['org role missing', () => t.request('PATCH', orgPath(`/members/${member.userId}`), { ...o, body: {} }), 422, 'VALIDATION_FAILED'],
      [
        'invitation role owner',
        () => t.request('POST', orgPath('/invitations'), { ...o, body: { email: 'x@example.com', role: 'owner' } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'invitation role god',
        () => t.request('POST', orgPath('/invitations'), { ...o, body: { email: 'x@example.com', role: 'god' } }),
        422,
        'VALIDATION_FAILED',
      ],
      ['team role owner', () => t.request('POST', projectPath('/members'), { ...o, body: { user_id: admin.userId, role: 'owner' } }), 422, 'VALIDATION_FAILED'],
      ['team role member', () => t.request('PATCH', projectPath(`/members/${member.userId}`), { ...o, body: { role: 'member' } }), 422, 'VALIDATION_FAILED'],
      [
        'item state unknown',
        () => t.request('POST', projectPath(`/spec/items/${item.id}/transition`), { ...o, body: { state: 'shipped' } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'implementation unknown',
        () => t.request('POST', projectPath(`/spec/items/${item.id}/transition_implementation`), { ...o, body: { implementation_status: 'done' } }),
        422,
        'VALIDATION_FAILED',
      ],
    ]);
  });

  it('self-promotion is refused with 403 and changes nothing', async () => {
    await refusedWithoutChange([
      ['admin makes self owner', () => t.request('PATCH', orgPath(`/members/${admin.userId}`), { key: admin.key, body: { role: 'owner' } }), 403, 'FORBIDDEN'],
      [
        'member makes self admin',
        () => t.request('PATCH', orgPath(`/members/${member.userId}`), { key: member.key, body: { role: 'admin' } }),
        403,
        'FORBIDDEN',
      ],
      [
        'member makes self owner',
        () => t.request('PATCH', orgPath(`/members/${member.userId}`), { key: member.key, body: { role: 'owner' } }),
        403,
        'FORBIDDEN',
      ],
      [
        'admin transfers ownership to self',
        () => t.request('POST', orgPath('/transfer-ownership'), { key: admin.key, body: { user_id: admin.userId } }),
        403,
        'FORBIDDEN',
      ],
      [
        'editor makes self project admin',
        () => t.request('PATCH', projectPath(`/members/${member.userId}`), { key: member.key, body: { role: 'admin' } }),
        403,
        'FORBIDDEN',
      ],
      [
        'editor re-adds self as admin',
        () => t.request('POST', projectPath('/members'), { key: member.key, body: { user_id: member.userId, role: 'admin' } }),
        403,
        'FORBIDDEN',
      ],
      [
        'member invites self-made admin',
        () => t.request('POST', orgPath('/invitations'), { key: member.key, body: { email: 'alias@example.com', role: 'admin' } }),
        403,
        'FORBIDDEN',
      ],
    ]);
  });

  it('foreign, unknown and cyclic parent ids are refused and change nothing (no permalink is used up)', async () => {
    const o = { key: owner.key };
    const create = (parent_id: string) => () =>
      t.request('POST', projectPath('/spec/items'), { ...o, body: { type_of: 'functional', title: 'child', parent_id } });
    const patch = (parent_id: string) => () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { parent_id } });
    await refusedWithoutChange([
      ['create: parent in another project', create(foreignItem.id), 404, 'PARENT_NOT_FOUND'],
      ['create: parent permalink of another project only', create('F-99'), 404, 'PARENT_NOT_FOUND'],
      ['create: parent in another organization', create(otherOrgItem.id), 404, 'PARENT_NOT_FOUND'],
      ['create: made-up parent', create('itm_doesnotexist'), 404, 'PARENT_NOT_FOUND'],
      ['create: parent permalink past 32 bits', create('F-9999999999'), 404, 'PARENT_NOT_FOUND'],
      ['get: permalink past 32 bits', () => t.request('GET', projectPath('/spec/items/F-9999999999'), o), 404, 'NOT_FOUND'],
      ['patch: parent in another project', patch(foreignItem.id), 404, 'PARENT_NOT_FOUND'],
      ['patch: parent in another organization', patch(otherOrgItem.id), 404, 'PARENT_NOT_FOUND'],
      ['patch: itself as parent', patch(item.id), 422, 'PARENT_CYCLE'],
      [
        'create: parent of wrong type',
        () => t.request('POST', projectPath('/spec/items'), { ...o, body: { type_of: 'functional', title: 'x', parent_id: 42 } }),
        422,
        'VALIDATION_FAILED',
      ],
    ]);
    const pastInt = await t.request('GET', projectPath('/spec/items?parent_id=T-2147483648'), o);
    assert.equal(pastInt.status, 200, 'a permalink past 32 bits filters to nothing, not a 500');
    assert.equal(pastInt.body.meta.total, 0);
    assert.equal((await createItem(t, o, project.id)).permalink, 'F-2');
  });

  it('oversized, mistyped and unknown fields get 422 with details.fields and change nothing', async () => {
    const o = { key: owner.key };
    const long = (n: number) => 'x'.repeat(n);
    await refusedWithoutChange([
      ['org name too long', () => t.request('PATCH', orgPath(), { ...o, body: { name: long(101) } }), 422, 'VALIDATION_FAILED'],
      [
        'org name with allowed_ips garbage',
        () => t.request('PATCH', orgPath(), { ...o, body: { name: 'fine', allowed_ips: ['fine?'] } }),
        422,
        'VALIDATION_FAILED',
      ],
      ['org plan is not editable', () => t.request('PATCH', orgPath(), { ...o, body: { plan: 'enterprise' } }), 422, 'VALIDATION_FAILED'],
      ['new org slug invalid', () => t.request('POST', '/api/v1/organizations', { ...o, body: { name: 'x', slug: '-bad-' } }), 422, 'VALIDATION_FAILED'],
      [
        'invitation e-mail too long',
        () => t.request('POST', orgPath('/invitations'), { ...o, body: { email: `${long(250)}@example.com`, role: 'member' } }),
        422,
        'VALIDATION_FAILED',
      ],
      ['accept token too long', () => t.request('POST', '/api/v1/invitations/accept', { ...o, body: { token: long(1000) } }), 422, 'VALIDATION_FAILED'],
      ['project name too long', () => t.request('POST', '/api/v1/projects', { ...o, body: { name: long(101) } }), 422, 'VALIDATION_FAILED'],
      ['project description too long', () => t.request('PATCH', projectPath(), { ...o, body: { description: long(10_001) } }), 422, 'VALIDATION_FAILED'],
      [
        'item title too long',
        () => t.request('POST', projectPath('/spec/items'), { ...o, body: { type_of: 'technical', title: long(201) } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'item description too long',
        () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { title: 'ok', description: long(100_001) } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'too many tags',
        () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'tag too long',
        () => t.request('POST', projectPath('/spec/items'), { ...o, body: { type_of: 'technical', title: 'x', tags: [long(51)] } }),
        422,
        'VALIDATION_FAILED',
      ],
      ['tags not a list', () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { tags: 'a,b' } }), 422, 'VALIDATION_FAILED'],
      [
        'version in body',
        () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { title: 'ok', version: 7 } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'permalink in body',
        () => t.request('POST', projectPath('/spec/items'), { ...o, body: { type_of: 'technical', title: 'x', permalink: 'T-1' } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'malformed If-Match',
        () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, headers: { 'if-match': '"v2"' }, body: { title: 'ok' } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'body over 1 MiB',
        () => t.request('POST', projectPath('/spec/items'), { ...o, body: { type_of: 'technical', title: 'x', description: long(1_100_000) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'malformed JSON',
        () => t.request('POST', projectPath('/spec/items'), { ...o, raw: '{"type_of":', headers: { 'content-type': 'application/json' } }),
        400,
        'BAD_REQUEST',
      ],
    ]);
  });

  it('control characters in names and titles (newline, escape sequences) get 422 and change nothing; descriptions keep line breaks and tabs', async () => {
    const o = { key: owner.key };
    const items = projectPath('/spec/items');
    await refusedWithoutChange([
      ['newline in item title', () => t.request('POST', items, { ...o, body: { type_of: 'technical', title: 'one\ntwo' } }), 422, 'VALIDATION_FAILED'],
      [
        'terminal escape in item title',
        () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { title: '\u001b[31mred' } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'escape in item description',
        () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { description: 'fine\n\u001b]0;pwned\u0007' } }),
        422,
        'VALIDATION_FAILED',
      ],
      ['DEL in a tag', () => t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { tags: ['ok', 'b\u007f'] } }), 422, 'VALIDATION_FAILED'],
      ['tab in project name', () => t.request('POST', '/api/v1/projects', { ...o, body: { name: 'a\tb' } }), 422, 'VALIDATION_FAILED'],
      ['carriage return in org name', () => t.request('PATCH', orgPath(), { ...o, body: { name: 'Acme\rEvil' } }), 422, 'VALIDATION_FAILED'],
      ['newline in API key name', () => t.request('POST', orgPath('/api-keys'), { ...o, body: { name: 'ci\nadmin' } }), 422, 'VALIDATION_FAILED'],
    ]);
    const multiline = await t.request('PATCH', projectPath(`/spec/items/${item.id}`), { ...o, body: { description: 'Line one\r\n\tindented\nline three' } });
    assert.equal(multiline.status, 200, JSON.stringify(multiline.body));
    assert.equal(multiline.body.data.description, 'Line one\r\n\tindented\nline three');
  });
});
