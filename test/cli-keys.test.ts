import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { CliHome, ensureBuilt, readToml } from './helpers/cli.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

describe('CLI: API keys, usage and logout', () => {
  let t: TestServer;
  let home: CliHome;
  before(async () => {
    ensureBuilt();
    t = await startTestServer({ FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000', FUNCSPEC_AGENT_VERIFY_PER_IP: '100000' });
  });
  afterEach(() => home?.remove());
  after(() => t.close());

  async function person() {
    const { email, key } = await agentKey(t);
    return { email, key, env: { env: { FUNCSPEC_API_KEY: key, FUNCSPEC_BASE_URL: t.url } } };
  }

  it('keys create shows the key once (alone on stdout), list and get never do; rotate replaces it; revoke ends it at once', async () => {
    home = new CliHome();
    const me = await person();
    const created = await home.run(['keys', 'create', 'CI deploy'], me.env);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^fs_live_[0-9A-Za-z]{38}$/, 'table output is the key alone, so KEY=$(funcspec keys create …) works');
    assert.match(created.stderr, /Created key "CI deploy" \(\S+\)\. This is the only time it is shown; store it now/);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200);
    const asJson = await home.json(['keys', 'create', 'nightly', '--allowed-ip', '10.0.0.0/8', '--expires-at', '2099-01-01'], me.env);
    assert.match(asJson.key, /^fs_live_/);
    assert.deepEqual(asJson.allowed_ips, ['10.0.0.0/8']);
    assert.equal(asJson.expires_at, '2099-01-01T00:00:00Z');

    const list = await home.run(['keys', 'list', '--format', 'json'], me.env);
    const table = await home.run(['keys', 'list'], me.env);
    const ci = (JSON.parse(list.stdout) as { id: string; name: string }[]).find((k) => k.name === 'CI deploy')!;
    const one = await home.run(['keys', 'get', ci.id], me.env);
    for (const out of [list, table, one]) {
      assert.equal(out.code, 0, out.stderr);
      for (const secret of [key, asJson.key, me.key]) assert.ok(!out.stdout.includes(secret), `no full key in: ${out.stdout}`);
    }
    assert.match(table.stdout, /^ID\s+NAME\s+KIND\s+KEY\s+OWNER\s+CREATED\s+LAST_USED\s+EXPIRES\s+ALLOWED_IPS\s+SCOPES\s+PROJECTS$/m);
    assert.ok(table.stdout.includes(`…${key.slice(-4)}`));
    assert.match(one.stdout, /^requests_24h\s+\d+ \(2xx: \d+/m);

    const rotated = await home.json(['keys', 'rotate', ci.id], me.env);
    assert.match(rotated.key, /^fs_live_/);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 401, 'the old key died with the rotation (no grace period asked)');
    assert.equal((await t.request('GET', '/api/v1/me', { key: rotated.key })).status, 200);

    const revoke = await home.run(['keys', 'revoke', rotated.id, '--yes'], me.env);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal((await t.request('GET', '/api/v1/me', { key: rotated.key })).status, 401, 'revocation takes effect on the next request');
    const withRevoked = await home.json(['keys', 'list', '--include-revoked'], me.env);
    assert.ok(withRevoked.some((k: { id: string; revoked_at: string | null }) => k.id === rotated.id && k.revoked_at));
    const unknown = await home.run(['keys', 'revoke', 'key_nope', '--yes'], me.env);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /^error: KEY_NOT_FOUND: /m);
    const noConfirm = await home.run(['keys', 'revoke', asJson.id], me.env);
    assert.equal(noConfirm.code, 2, 'revoke needs --yes without a terminal');
  });

  it("keys create --scope items:read --project P: a CI key that reads one project's items and nothing else; listings show its scopes and projects", async () => {
    home = new CliHome();
    const me = await person();
    for (const name of ['Checkout', 'Billing']) {
      assert.equal((await t.request('POST', '/api/v1/projects', { key: me.key, body: { name } })).status, 201);
    }
    const created = await home.run(['keys', 'create', 'CI reader', '--scope', 'items:read', '--project', 'checkout'], me.env);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.equal((await t.request('GET', '/api/v1/projects/checkout/spec/items', { key })).status, 200);
    for (const [path, required] of [
      ['/api/v1/projects/billing/spec/items', 'items:read'],
      ['/api/v1/organizations', 'org:read'],
    ] as const) {
      const refused = await t.request('GET', path, { key });
      assert.equal(refused.status, 403, path);
      assert.deepEqual([refused.body.error_code, refused.body.details.required_scope], ['INSUFFICIENT_SCOPE', required], path);
    }
    const checkout = (await t.request('GET', '/api/v1/projects/checkout', { key: me.key })).body.data.id;

    const listed = (await home.json(['keys', 'list'], me.env)).find((k: { name: string }) => k.name === 'CI reader');
    assert.deepEqual([listed.scopes, listed.project_ids], [['items:read'], [checkout]]);
    const table = await home.ok(['keys', 'list'], me.env);
    assert.match(table, new RegExp(`CI reader .*items:read\\s+${checkout}\\s*$`, 'm'));
    assert.match(table, /^\S+\s+Agent key .*\s\*\s+all\s*$/m, 'an unlimited key shows * and all');
    const one = await home.ok(['keys', 'get', listed.id], me.env);
    assert.match(one, /^scopes\s+items:read$/m);
    assert.match(one, new RegExp(`^projects\\s+${checkout}$`, 'm'));

    const several = await home.json(['keys', 'create', 'Agent writer', '--scope', 'items:write', '--scope', 'projects:read'], me.env);
    assert.deepEqual([several.scopes, several.project_ids], [['projects:read', 'items:write'], null]);
    const typo = await home.run(['keys', 'create', 'Oops', '--scope', 'items:delete'], me.env);
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /"items:delete" is not a scope; use one of \*, org:read/);
    const unknown = await home.run(['keys', 'create', 'Oops', '--project', 'no-such-project'], me.env);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /VALIDATION_FAILED/);
    assert.match(unknown.stderr, /no-such-project/);
  });

  it('rotating the key the CLI itself uses keeps the config working: the new key is saved in its place', async () => {
    home = new CliHome();
    const me = await person();
    await home.ok(['auth', 'login', '--with-key', '--base-url', t.url], { input: me.key });
    const id = (await home.json(['auth', 'status'])).api_key.id;
    const rotated = await home.run(['keys', 'rotate', id, '--previous-expires-in', '60']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKey = rotated.stdout.trim();
    assert.match(newKey, /^fs_live_/);
    assert.match(rotated.stderr, /that was the key in use; the new one is saved to the top level/);
    assert.equal(readToml(home.configFile).api_key, newKey);
    assert.equal((await home.json(['auth', 'status'])).user.email, me.email);
  });

  it("usage lists requests per key per hour; --format json is the API's data", async () => {
    home = new CliHome();
    const me = await person();
    for (let i = 0; i < 3; i += 1) await home.ok(['credits', 'balance'], me.env);
    const usage = await home.json(['usage'], me.env);
    const direct = await t.request('GET', `/api/v1/organizations/${(await t.request('GET', '/api/v1/me', { key: me.key })).body.data.organization.id}/usage`, {
      key: me.key,
    });
    assert.ok(usage.length >= 1);
    assert.deepEqual(Object.keys(usage[0]).sort(), Object.keys(direct.body.data[0]).sort());
    assert.ok(usage[0].requests >= 3);
    const table = await home.ok(['usage', '--from', new Date(Date.now() - 3_600_000).toISOString()], me.env);
    assert.match(table, /^HOUR\s+KEY_ID\s+KEY\s+REQUESTS\s+2XX\s+4XX\s+5XX$/m);
    assert.match(table, /^\d+ requests from \S+ to \S+$/m);
    const bad = await home.run(['usage', '--from', 'yesterday-ish'], me.env);
    assert.equal(bad.code, 2);
  });

  it('auth logout forgets a pasted key (it stays valid: login did not create it) and is a no-op when logged out', async () => {
    home = new CliHome();
    const me = await person();
    await home.ok(['auth', 'login', '--with-key', '--base-url', t.url], { input: me.key });
    const logout = await home.run(['auth', 'logout']);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /Removed key fs_live_…\w{4} from the top level\./);
    assert.match(logout.stderr, /did not create this key, so it was only forgotten here and stays valid/);
    assert.equal(readToml(home.configFile).api_key, undefined);
    assert.equal((await t.request('GET', '/api/v1/me', { key: me.key })).status, 200);
    assert.equal((await home.run(['auth', 'status'])).code, 3);
    const again = await home.run(['auth', 'logout']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Not logged in/);
    const fromEnv = await home.run(['auth', 'logout'], { env: { FUNCSPEC_API_KEY: me.key } });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /comes from FUNCSPEC_API_KEY/);
  });
});
