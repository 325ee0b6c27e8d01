/**
 * The MCP server at POST /mcp, driven by the official SDK's own client over Streamable HTTP. Threat: the
 * MCP door lets a key do what the HTTP API would refuse (no key, a revoked key, a viewer writing, a key
 * beyond its scopes or projects, past its rate limit, from an address it is not allowed from).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runFuncspec } from './helpers/operator.js';
import { addToTeam, createItem, createProject, joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const TOOL_NAMES = [
  'list_organizations',
  'list_projects',
  'list_items',
  'get_item',
  'create_item',
  'update_item',
  'transition_item',
  'set_implementation_status',
  'get_credits_balance',
];

/** An SDK client connected to the server's /mcp with these headers (the key, or not). */
async function connect(t: TestServer, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'funcspec-test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), { requestInit: { headers } }));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The problem a refused tool call carries, after checking it is a tool error that says its code in words too. */
function refusal(result: CallToolResult, status: number, errorCode: string): Record<string, any> {
  assert.equal(result.isError, true, JSON.stringify(result));
  const problem = result.structuredContent as Record<string, any>;
  assert.equal(problem.error_code, errorCode, JSON.stringify(problem));
  assert.equal(problem.status, status);
  assert.match((result.content[0] as { text: string }).text, new RegExp(`^${errorCode} \\(${status}\\)`));
  return problem;
}

/** The HTTP error an SDK call fails with (a refusal of the whole MCP request, not of a tool). */
async function httpRefusal(promise: Promise<unknown>, status: number, errorCode: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StreamableHTTPError, String(error));
    assert.equal(error.code, status);
    assert.match(error.message, new RegExp(`"error_code":"${errorCode}"`));
    return true;
  });
}

describe('MCP server (POST /mcp)', () => {
  let t: TestServer;
  let owner: Person;
  let project: { id: string; slug: string };
  let otherProject: { id: string };

  const mintKey = async (body: Record<string, unknown>, maker = owner.key): Promise<{ id: string; key: string }> => {
    const reply = await t.request('POST', `/api/v1/organizations/${owner.personalOrgId}/api-keys`, { key: maker, body: { name: 'MCP agent', ...body } });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.data;
  };

  before(async () => {
    t = await startTestServer({ ...MANY_AGENTS, FUNCSPEC_TRUST_PROXY: '127.0.0.1' });
    owner = await newPerson(t, 'mcp-owner');
    project = await createProject(t, { key: owner.key }, { name: 'Checkout', slug: 'checkout' });
    otherProject = await createProject(t, { key: owner.key }, { name: 'Billing' });
  });
  after(() => t.close());

  it('an SDK client connects with a key, lists the tools, creates an item, reads it and edits it with its version', async () => {
    const client = await connect(t, { 'X-API-Key': owner.key });
    assert.deepEqual(client.getServerVersion()?.name, 'funcspec');
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      TOOL_NAMES,
    );
    const create = tools.find((tool) => tool.name === 'create_item')!;
    assert.deepEqual((create.inputSchema.required as string[]).sort(), ['project', 'title', 'type_of'], "the route's own schema, with the project");
    assert.match(create.description!, /items:write/);

    const created = await call(client, 'create_item', { project: 'checkout', type_of: 'functional', title: 'Guest checkout', tags: ['mvp'] });
    assert.notEqual(created.isError, true, JSON.stringify(created));
    const item = (created.structuredContent as any).data;
    assert.equal(item.permalink, 'F-1');
    assert.deepEqual(JSON.parse((created.content[0] as { text: string }).text).data, item);

    const read = await call(client, 'get_item', { project: 'checkout', item: 'F-1' });
    assert.equal((read.structuredContent as any).data.version, 1);
    assert.deepEqual((read.structuredContent as any).meta.allowed_transitions.state, ['inbox']);
    const edited = await call(client, 'update_item', { project: project.id, item: 'F-1', version: 1, description: 'As a guest I can pay.' });
    assert.equal((edited.structuredContent as any).data.version, 2);
    const moved = await call(client, 'transition_item', { project: 'checkout', item: 'F-1', state: 'inbox', version: 2 });
    assert.equal((moved.structuredContent as any).data.state, 'inbox');
    const marked = await call(client, 'set_implementation_status', { project: 'checkout', item: 'F-1', implementation_status: 'not_applicable' });
    assert.equal((marked.structuredContent as any).data.implementation_status, 'not_applicable');

    // What the tools did is what the HTTP API shows.
    const viaHttp = await t.request('GET', `/api/v1/projects/${project.id}/spec/items/F-1`, { key: owner.key });
    assert.deepEqual([viaHttp.body.data.description, viaHttp.body.data.version, viaHttp.body.data.state], ['As a guest I can pay.', 4, 'inbox']);
    const found = await call(client, 'list_items', { project: 'checkout', q: 'guest', tag: 'mvp', state: 'inbox' });
    assert.deepEqual(
      (found.structuredContent as any).data.map((i: { permalink: string }) => i.permalink),
      ['F-1'],
    );
    assert.deepEqual((await call(client, 'list_projects')).structuredContent, (await t.request('GET', '/api/v1/projects', { key: owner.key })).body);
    assert.equal(((await call(client, 'list_organizations')) as any).structuredContent.data[0].id, owner.personalOrgId);
    assert.deepEqual(
      (await call(client, 'get_credits_balance')).structuredContent,
      (await t.request('GET', '/api/v1/credits/balance', { key: owner.key })).body,
    );
    await client.close();
  });

  it('Authorization: Bearer works as X-API-Key does', async () => {
    const client = await connect(t, { Authorization: `Bearer ${owner.key}` });
    assert.equal(((await call(client, 'list_items', { project: 'checkout' })).structuredContent as any).meta.total >= 0, true);
    await client.close();
  });

  it('a stale version is a tool error that says to read the item again; a bad argument is VALIDATION_FAILED naming the field; nothing is written', async () => {
    const client = await connect(t, { 'X-API-Key': owner.key });
    const item = await createItem(t, { key: owner.key }, project.id, { title: 'Original' });
    await t.request('PATCH', `/api/v1/projects/${project.id}/spec/items/${item.id}`, { key: owner.key, body: { title: 'Changed by someone else' } });
    const stale = refusal(await call(client, 'update_item', { project: project.id, item: item.id, version: 1, title: 'Mine' }), 412, 'VERSION_CONFLICT');
    assert.equal(stale.details.current_version, 2);
    const staleText = ((await call(client, 'update_item', { project: project.id, item: item.id, version: 1, title: 'Mine' })).content[0] as { text: string })
      .text;
    assert.match(staleText, /get_item \(it is at version 2\)/);
    const bad = refusal(await call(client, 'create_item', { project: project.id, type_of: 'epic', title: '' }), 422, 'VALIDATION_FAILED');
    assert.deepEqual(Object.keys(bad.details.fields).sort(), ['title', 'type_of']);
    refusal(await call(client, 'update_item', { project: project.id, item: item.id, title: 'No version' }), 422, 'VALIDATION_FAILED');
    refusal(await call(client, 'get_item', { project: project.id, item: 'F-999' }), 404, 'NOT_FOUND');
    await assert.rejects(client.callTool({ name: 'delete_everything', arguments: {} }), /No tool named delete_everything/);
    const after = await t.request('GET', `/api/v1/projects/${project.id}/spec/items/${item.id}`, { key: owner.key });
    assert.deepEqual([after.body.data.title, after.body.data.version], ['Changed by someone else', 2]);
    await client.close();
  });

  it('no key: 401 UNAUTHORIZED with WWW-Authenticate, before anything else', async () => {
    await httpRefusal(connect(t, {}), 401, 'UNAUTHORIZED');
    const raw = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(raw.status, 401);
    assert.match(raw.headers.get('www-authenticate') ?? '', /^Bearer realm="funcspec"/);
    assert.equal(((await raw.json()) as { error_code: string }).error_code, 'UNAUTHORIZED');
    await httpRefusal(connect(t, { 'X-API-Key': 'fs_live_000000000000000000000000000000000000000' }), 401, 'INVALID_API_KEY');
  });

  it('a revoked key: the next call is refused with 401 INVALID_API_KEY', async () => {
    const { id, key } = await mintKey({});
    const client = await connect(t, { 'X-API-Key': key });
    assert.notEqual((await call(client, 'list_items', { project: 'checkout' })).isError, true);
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${owner.personalOrgId}/api-keys/${id}`, { key: owner.key })).status, 204);
    await httpRefusal(call(client, 'list_items', { project: 'checkout' }), 401, 'INVALID_API_KEY');
  });

  it('a viewer writing: FORBIDDEN, as over HTTP; reading works', async () => {
    const viewer = await joinOrg(t, { key: owner.key }, owner.personalOrgId, 'member', 'mcp-viewer');
    await addToTeam(t, { key: owner.key }, project.id, viewer.userId, 'viewer');
    const client = await connect(t, { 'X-API-Key': viewer.key });
    assert.notEqual((await call(client, 'list_items', { project: 'checkout' })).isError, true);
    const refused = refusal(await call(client, 'create_item', { project: 'checkout', type_of: 'functional', title: 'Not mine to write' }), 403, 'FORBIDDEN');
    assert.equal(refused.details.required_project_role, 'editor');
    await client.close();
  });

  it('an items:read key writing: INSUFFICIENT_SCOPE naming items:write; reading works', async () => {
    const { key } = await mintKey({ scopes: ['items:read'] });
    const client = await connect(t, { 'X-API-Key': key });
    assert.notEqual((await call(client, 'get_item', { project: 'checkout', item: 'F-1' })).isError, true);
    for (const [name, args] of [
      ['create_item', { project: 'checkout', type_of: 'technical', title: 'No' }],
      ['update_item', { project: 'checkout', item: 'F-1', version: 1, title: 'No' }],
      ['transition_item', { project: 'checkout', item: 'F-1', state: 'accepted' }],
    ] as const) {
      assert.equal(refusal(await call(client, name, args), 403, 'INSUFFICIENT_SCOPE').details.required_scope, 'items:write', name);
    }
    assert.equal(refusal(await call(client, 'get_credits_balance'), 403, 'INSUFFICIENT_SCOPE').details.required_scope, 'credits:read');
    await client.close();
  });

  it("an out-of-project item: INSUFFICIENT_SCOPE naming the project; list_projects shows only the key's", async () => {
    const theirs = await createItem(t, { key: owner.key }, otherProject.id, { title: 'Elsewhere' });
    const { key } = await mintKey({ scopes: ['items:write', 'projects:read'], project_ids: ['checkout'] });
    const client = await connect(t, { 'X-API-Key': key });
    for (const [name, args] of [
      ['get_item', { project: otherProject.id, item: theirs.id }],
      ['list_items', { project: otherProject.id }],
      ['update_item', { project: otherProject.id, item: theirs.id, version: 1, title: 'Reached' }],
    ] as const) {
      const refused = refusal(await call(client, name, args), 403, 'INSUFFICIENT_SCOPE');
      assert.deepEqual([refused.details.project_id, refused.details.project_ids], [otherProject.id, [project.id]], name);
    }
    assert.deepEqual(
      ((await call(client, 'list_projects')).structuredContent as any).data.map((p: { id: string }) => p.id),
      [project.id],
    );
    assert.notEqual((await call(client, 'create_item', { project: 'checkout', type_of: 'technical', title: 'Mine' })).isError, true);
    await client.close();
  });

  it('a rate limit reached: each tool call counts as one request (and only one), then 429 RATE_LIMITED with Retry-After', async () => {
    const limited = await newPerson(t, 'mcp-limited');
    const LIMIT = 6;
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', limited.personalOrgId, 'enterprise', '--rate-limit', String(LIMIT)], t.env)).code, 0);
    const before = await t.request('GET', '/api/v1/me', { key: limited.key });
    const left = Number(before.headers.get('x-ratelimit-remaining'));
    assert.ok(left >= 3 && left < LIMIT, `${left} left`);
    const client = await connect(t, { 'X-API-Key': limited.key }); // initialize and its notification: 2 requests
    for (let i = 0; i < left - 2; i += 1) assert.notEqual((await call(client, 'get_credits_balance')).isError, true, `tool call ${i + 1}`);
    await httpRefusal(call(client, 'get_credits_balance'), 429, 'RATE_LIMITED');
    const http = await t.request('GET', '/api/v1/me', { key: limited.key });
    assertProblem(http, 429, 'RATE_LIMITED');
    assert.equal(http.headers.get('retry-after'), String(http.body.details.retry_after_seconds));
    assert.equal(http.headers.get('x-ratelimit-remaining'), '0');
  });

  it("tool calls run from the caller's address (allow-lists, usage), and each MCP request is one request in the key's usage", async () => {
    const from = { 'X-Forwarded-For': '203.0.113.7' };
    const allowed = await mintKey({ allowed_ips: ['203.0.113.0/24'] });
    const client = await connect(t, { 'X-API-Key': allowed.key, ...from });
    assert.notEqual((await call(client, 'list_items', { project: 'checkout' })).isError, true, 'the tool call comes from 203.0.113.7 too');
    await client.close();
    await httpRefusal(connect(t, { 'X-API-Key': allowed.key, 'X-Forwarded-For': '198.51.100.1' }), 403, 'IP_NOT_ALLOWED');

    const usage = await t.request('GET', `/api/v1/organizations/${owner.personalOrgId}/usage?key_id=${allowed.id}`, { key: owner.key });
    // initialize, initialized, one tool call: three requests (the tool call's own HTTP request is not counted again).
    assert.equal(usage.body.meta.total_requests, 3, JSON.stringify(usage.body));
    const key = await t.request('GET', `/api/v1/organizations/${owner.personalOrgId}/api-keys/${allowed.id}`, { key: owner.key });
    assert.equal(key.body.data.last_used_ip, '203.0.113.7');
  });

  it('every tool is documented with its scope: README, /mcp.md (linked from /llms.txt), /openapi.json', async () => {
    const client = await connect(t, { 'X-API-Key': owner.key });
    const { tools } = await client.listTools();
    await client.close();
    const readme = readFileSync('README.md', 'utf8');
    const page: string = (await t.request('GET', '/mcp.md')).body;
    assert.match((await t.request('GET', '/llms.txt')).body, /\/mcp\.md\)/);
    const operation = (await t.request('GET', '/openapi.json')).body.paths['/mcp'].post;
    for (const tool of tools) {
      const scope = /Key scope: ([a-z:]+)/.exec(tool.description!)![1]!;
      assert.match(readme, new RegExp(`^\\| \`${tool.name}\` \\|.*\\| \`${scope}\` \\|$`, 'm'), `${tool.name} in the README`);
      assert.match(page, new RegExp(`^\\| \`${tool.name}\` \\|.*\\| \`${scope}\` \\|$`, 'm'), `${tool.name} in /mcp.md`);
      assert.match(operation.description, new RegExp(`\`${tool.name}\` \\(scope \`${scope}\`\\)`), `${tool.name} in /openapi.json`);
    }
  });

  it('GET and DELETE /mcp are 405 (stateless: no stream, no session); a batch or a body that is not JSON-RPC gets the §2 envelope', async () => {
    for (const method of ['GET', 'DELETE']) {
      const reply = await t.request(method, '/mcp', { key: owner.key });
      assertProblem(reply, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(reply.headers.get('allow'), 'POST');
    }
    const headers = { accept: 'application/json, text/event-stream' };
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    assertProblem(await t.request('POST', '/mcp', { key: owner.key, headers, body: batch }), 422, 'VALIDATION_FAILED');
    assertProblem(await t.request('POST', '/mcp', { key: owner.key, headers, body: { hello: 'world' } }), 422, 'VALIDATION_FAILED');
    assertProblem(
      await t.request('POST', '/mcp', { key: owner.key, headers: { ...headers, 'content-type': 'application/json' }, raw: '{"jsonrpc": ' }),
      400,
      'BAD_REQUEST',
    );
    assertProblem(await t.request('POST', '/mcp', { key: owner.key, body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } }), 406, 'NOT_ACCEPTABLE');
    const unknown = await t.request('POST', '/mcp', { key: owner.key, headers, body: { jsonrpc: '2.0', id: 7, method: 'no/such/method' } });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.error.code, -32601, 'a JSON-RPC error for an unknown method');
  });
});
