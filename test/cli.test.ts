import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Command, CommanderError } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { generateKey } from '../src/keys/format.js';
import { CliHome, cliFixture, readToml, type CliResult } from './helpers/cli.js';
import { agentKey } from './helpers/server.js';

/** No output of the CLI may contain a full key (only `keys create|rotate` print the new one). */
function assertNoKey(result: CliResult | string, ...keys: string[]): void {
  const text = typeof result === 'string' ? result : `${result.stdout}\n${result.stderr}`;
  for (const key of keys) assert.ok(!text.includes(key), `output contains a full key: ${text}`);
}

/** A local port nobody listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('CLI: config file and profiles (§7)', () => {
  const cli = cliFixture();
  let home: CliHome;

  it("the seed's commands run verbatim; config.toml reads back as written, mode 0600 in a 0700 directory", async () => {
    home = cli.newHome();
    const { key } = await agentKey(cli.t);
    const set = await home.run(['config', 'set', 'api_key', key]);
    assert.equal(set.code, 0, set.stderr);
    assertNoKey(set, key);
    assert.equal((await home.run(['config', 'profile', 'create', 'production', '--api-key', 'prod-key'])).code, 0);
    assert.equal((await home.run(['config', 'profile', 'create', 'staging', '--api-key', 'staging-key'])).code, 0);
    assert.equal((await home.run(['config', 'profile', 'use', 'production'])).code, 0);

    const written = readToml(home.configFile);
    assert.deepEqual(written, {
      api_key: key,
      active_profile: 'production',
      profiles: { production: { api_key: 'prod-key' }, staging: { api_key: 'staging-key' } },
    });
    assert.equal(mode(home.configFile), 0o600);
    assert.equal(mode(path.dirname(home.configFile)), 0o700);
    assert.deepEqual(readdirSync(path.dirname(home.configFile)), ['config.toml'], 'no temp file is left behind');

    const list = await home.json<string[]>(['config', 'profile', 'list']);
    assert.deepEqual(
      (list as unknown as { name: string; active: boolean }[]).map((p) => [p.name, p.active]),
      [
        ['production', true],
        ['staging', false],
      ],
    );
    home.remove();
  });

  it('FUNCSPEC_API_KEY overrides the key in the file (and the active profile)', async () => {
    home = cli.newHome();
    const real = await agentKey(cli.t);
    await home.ok(['config', 'profile', 'create', 'production', '--api-key', 'prod-key', '--base-url', cli.t.url, '--use']);

    const withFile = await home.run(['auth', 'status']);
    assert.equal(withFile.code, 3, 'the file key "prod-key" is refused');
    assert.match(withFile.stderr, /INVALID_API_KEY/);

    const status = await home.json(['auth', 'status'], { env: { FUNCSPEC_API_KEY: real.key } });
    assert.equal(status.user.email, real.email);
    assert.equal(status.api_key.source, 'FUNCSPEC_API_KEY');
    assert.equal(status.api_key.masked, `fs_live_…${real.key.slice(-4)}`);
    const got = await home.json(['config', 'get', 'api_key'], { env: { FUNCSPEC_API_KEY: real.key } });
    assert.deepEqual(got, { key: 'api_key', value: `fs_live_…${real.key.slice(-4)}`, source: 'FUNCSPEC_API_KEY' });
    home.remove();
  });

  it('precedence: --api-key flag > FUNCSPEC_API_KEY > FUNCSPEC_PROFILE / active profile > top level, proven by who the server sees', async () => {
    home = cli.newHome();
    const [top, prod, staging, envKey, flagKey] = await Promise.all([agentKey(cli.t), agentKey(cli.t), agentKey(cli.t), agentKey(cli.t), agentKey(cli.t)]);
    await home.ok(['config', 'set', 'api_key', top.key]);
    await home.ok(['config', 'set', 'base_url', cli.t.url]);
    await home.ok(['config', 'profile', 'create', 'production', '--api-key', prod.key]);
    await home.ok(['config', 'profile', 'create', 'staging', '--api-key', staging.key]);
    const who = async (args: string[] = [], env: Record<string, string> = {}) => {
      const status = await home.json(['auth', 'status', ...args], { env });
      return [status.user.email, status.api_key.source, status.profile];
    };

    assert.deepEqual(await who(), [top.email, 'top level', null], 'no profile active: the top level');
    await home.ok(['config', 'profile', 'use', 'production']);
    assert.deepEqual(await who(), [prod.email, 'profile production', 'production'], 'the active profile beats the top level');
    assert.deepEqual(await who([], { FUNCSPEC_PROFILE: 'staging' }), [staging.email, 'profile staging', 'staging'], 'FUNCSPEC_PROFILE beats active_profile');
    assert.deepEqual(
      await who(['--profile', 'production'], { FUNCSPEC_PROFILE: 'staging' }),
      [prod.email, 'profile production', 'production'],
      '--profile beats FUNCSPEC_PROFILE',
    );
    assert.deepEqual(await who([], { FUNCSPEC_API_KEY: envKey.key }), [envKey.email, 'FUNCSPEC_API_KEY', 'production'], 'FUNCSPEC_API_KEY beats the profile');
    assert.deepEqual(
      await who(['--api-key', flagKey.key], { FUNCSPEC_API_KEY: envKey.key }),
      [flagKey.email, '--api-key flag', 'production'],
      'the flag beats the variable',
    );

    // base_url follows the same order: a profile's base_url, then FUNCSPEC_BASE_URL, then the flag.
    await home.ok(['config', 'set', '--profile', 'staging', 'base_url', 'http://127.0.0.1:9']);
    const fromProfile = await home.json(['config', 'get', 'base_url', '--profile', 'staging']);
    assert.deepEqual(fromProfile, { key: 'base_url', value: 'http://127.0.0.1:9', source: 'profile staging' });
    const fromEnv = await home.json(['config', 'get', 'base_url', '--profile', 'staging'], { env: { FUNCSPEC_BASE_URL: cli.t.url } });
    assert.deepEqual(fromEnv, { key: 'base_url', value: cli.t.url, source: 'FUNCSPEC_BASE_URL' });
    assert.equal((await home.json(['auth', 'status', '--profile', 'staging', '--base-url', cli.t.url])).user.email, staging.email);

    const unknownProfile = await home.run(['auth', 'status'], { env: { FUNCSPEC_PROFILE: 'nope' } });
    assert.equal(unknownProfile.code, 4);
    assert.match(unknownProfile.stderr, /no profile named "nope" \(chosen by FUNCSPEC_PROFILE\)/);
    assert.match(unknownProfile.stderr, /profiles: production, staging/);
    home.remove();
  });

  it('$XDG_CONFIG_HOME is honoured: the file goes to $XDG_CONFIG_HOME/funcspec/config.toml', async () => {
    home = cli.newHome();
    const xdg = path.join(home.dir, 'xdg');
    await home.ok(['config', 'set', 'default_format', 'json'], { env: { XDG_CONFIG_HOME: xdg } });
    const file = path.join(xdg, 'funcspec', 'config.toml');
    assert.deepEqual(readToml(file), { default_format: 'json' });
    assert.equal(mode(file), 0o600);
    assert.equal(mode(path.dirname(file)), 0o700);
    assert.equal(existsSync(home.configFile), false, 'nothing written under ~/.config');
    // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
    await home.ok(['config', 'set', 'default_format', 'table'], { env: { XDG_CONFIG_HOME: 'relative/dir' } });
    assert.deepEqual(readToml(home.configFile), { default_format: 'table' });
    home.remove();
  });

  it('threat: a key file readable by others, half written or losing a concurrent change — a loose 0644 file is rewritten 0600, 8 concurrent writers all land', async () => {
    home = cli.newHome();
    mkdirSync(path.dirname(home.configFile), { recursive: true, mode: 0o755 });
    writeFileSync(home.configFile, 'api_key = "secret-one"\n', { mode: 0o644 });
    chmodSync(home.configFile, 0o644);
    const loose = await home.run(['config', 'list']);
    assert.match(loose.stderr, /readable by other users \(mode 0644\); run: chmod 600/);
    assert.equal(loose.code, 0);
    await home.ok(['config', 'set', 'default_format', 'json']);
    assert.equal(mode(home.configFile), 0o600);
    assert.equal(mode(path.dirname(home.configFile)), 0o700);

    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => home.run(['config', 'profile', 'create', `p${i}`, '--api-key', `key-${i}`])));
    for (const w of writers) assert.equal(w.code, 0, w.stderr);
    const final = readToml(home.configFile) as { api_key: string; profiles: Record<string, unknown> };
    assert.equal(final.api_key, 'secret-one', 'every writer kept what was there');
    assert.deepEqual(Object.keys(final.profiles).sort(), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'], "no writer lost another one's profile");
    assert.equal(mode(home.configFile), 0o600);
    assert.deepEqual(readdirSync(path.dirname(home.configFile)), ['config.toml'], 'no temp file is left behind');
    home.remove();
  });

  it('unknown keys are rejected with the list of valid ones, bad values too, and the file is untouched', async () => {
    home = cli.newHome();
    await home.ok(['config', 'set', 'default_format', 'json']);
    const before = readFileSync(home.configFile, 'utf8');
    for (const args of [
      ['config', 'set', 'apikey', 'x'],
      ['config', 'get', 'token'],
      ['config', 'unset', 'url'],
    ]) {
      const result = await home.run(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /unknown config key ".+"; valid keys: api_key, base_url, default_format, default_project, active_profile\./);
    }
    const badFormat = await home.run(['config', 'set', 'default_format', 'yaml']);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /default_format must be table or json/);
    const badUrl = await home.run(['config', 'set', 'base_url', 'ftp://x']);
    assert.equal(badUrl.code, 2);
    const badName = await home.run(['config', 'profile', 'create', '../evil']);
    assert.equal(badName.code, 2);
    const missing = await home.run(['config', 'profile', 'use', 'nope']);
    assert.equal(missing.code, 4);
    assert.equal(readFileSync(home.configFile, 'utf8'), before);
    home.remove();
  });

  it('bad input: an unreadable config file gives a clear error naming it, and is not clobbered', async () => {
    home = cli.newHome();
    mkdirSync(path.dirname(home.configFile), { recursive: true });
    const broken = 'api_key = "fs_live_unterminated\n[profiles.production\n';
    writeFileSync(home.configFile, broken, { mode: 0o600 });
    for (const args of [
      ['config', 'set', 'base_url', 'http://example.com'],
      ['config', 'profile', 'create', 'x'],
      ['auth', 'login', '--with-key'],
      ['credits', 'balance'],
      ['config', 'list'],
    ]) {
      const result = await home.run(args, { input: generateKey('live') });
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(result.stderr.includes(`cannot use the config file ${home.configFile}: it is not valid TOML (line 1`), result.stderr);
      assert.match(result.stderr, /left it unchanged/);
      assert.equal(result.stderr.split('\n').length <= 4, true, 'a short message, no stack trace');
    }
    assert.equal(readFileSync(home.configFile, 'utf8'), broken, 'the file was not rewritten');

    const wrongType = new CliHome();
    mkdirSync(path.dirname(wrongType.configFile), { recursive: true });
    writeFileSync(wrongType.configFile, 'api_key = 12\n');
    const typed = await wrongType.run(['config', 'list']);
    assert.equal(typed.code, 1);
    assert.match(typed.stderr, /api_key must be a string/);

    const directory = new CliHome();
    mkdirSync(directory.configFile, { recursive: true });
    const isDir = await directory.run(['config', 'set', 'default_format', 'json']);
    assert.equal(isDir.code, 1);
    assert.match(isDir.stderr, /it is a directory, not a file/);
    for (const h of [home, wrongType, directory]) h.remove();
  });
});

describe('CLI: auth login --with-key, auth status, credits, output and errors', () => {
  const cli = cliFixture();
  let home: CliHome;

  it('auth login --with-key checks the key with GET /me, then saves it; status shows it masked (fs_live_…abcd)', async () => {
    home = cli.newHome();
    const { key, email } = await agentKey(cli.t);
    const login = await home.run(['auth', 'login', '--with-key', '--base-url', cli.t.url], { input: `${key}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`as ${email.replace(/[.+]/g, '\\$&')}`));
    assertNoKey(login, key);
    const saved = readToml(home.configFile);
    assert.deepEqual(saved, { api_key: key, base_url: cli.t.url }, 'key and the --base-url it was checked against');

    const status = await home.run(['auth', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assertNoKey(status, key);
    assert.match(status.stdout, /profile\s+\(none: top level\)/);
    assert.ok(status.stdout.includes(`server        ${cli.t.url}`), status.stdout);
    assert.match(status.stdout, /organization\s+agent-/);
    assert.ok(status.stdout.includes(email));
    assert.match(status.stdout, /role\s+owner/);
    assert.ok(status.stdout.includes(`fs_live_…${key.slice(-4)}`));
    for (const args of [
      ['config', 'list'],
      ['config', 'get', 'api_key'],
      ['config', 'profile', 'list'],
    ])
      assertNoKey(await home.run(args), key);

    // A well-formed key the server does not know: refused by GET /me, nothing saved.
    const unknown = await home.run(['auth', 'login', '--with-key'], { input: generateKey('live') });
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /refused the key \(INVALID_API_KEY/);
    assert.match(unknown.stderr, /nothing was saved/);
    // Something that is not a key at all (a password pasted by mistake) is never sent anywhere.
    const garbage = await home.run(['auth', 'login', '--with-key'], { input: 'hunter2-my-password' });
    assert.equal(garbage.code, 3);
    assert.match(garbage.stderr, /not a FuncSpec API key/);
    assert.ok(!garbage.stderr.includes('hunter2'));
    assert.deepEqual(readToml(home.configFile), saved);

    const empty = await home.run(['auth', 'login', '--with-key']);
    assert.equal(empty.code, 2);
    const noTerminal = await home.run(['auth', 'login']);
    assert.equal(noTerminal.code, 2, 'interactive login without a terminal is a usage error');
    assert.match(noTerminal.stderr, /--with-key/);
    home.remove();
  });

  it('auth login --with-key saves into the profile in use, creating it', async () => {
    home = cli.newHome();
    const { key } = await agentKey(cli.t);
    await home.ok(['auth', 'login', '--with-key', '--profile', 'staging', '--base-url', cli.t.url], { input: key });
    assert.deepEqual(readToml(home.configFile), { profiles: { staging: { api_key: key, base_url: cli.t.url } } });
    assert.equal((await home.run(['auth', 'status', '--profile', 'staging'])).code, 0);
    const badName = await home.run(['auth', 'login', '--with-key', '--profile', '../etc', '--base-url', cli.t.url], { input: key });
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /not a valid profile name/);
    home.remove();
  });

  it('credits balance prints the API body exactly with --format json; debit is idempotent', async () => {
    home = cli.newHome();
    const { key } = await agentKey(cli.t);
    const env = { FUNCSPEC_API_KEY: key, FUNCSPEC_BASE_URL: cli.t.url };
    const direct = await cli.t.request('GET', '/api/v1/credits/balance', { key });
    assert.deepEqual(await home.json(['credits', 'balance'], { env }), direct.body);
    const table = await home.ok(['credits', 'balance'], { env });
    assert.match(table, /^total\s+100\nused\s+0\nleft\s+100\n$/);

    const debit = await home.json(['credits', 'debit', '2.5', '--reason', 'test run', '--idempotency-key', 'run-1'], { env });
    assert.equal(debit.amount, 2.5);
    assert.equal(debit.balance.credits_left, 97.5);
    const again = await home.run(['credits', 'debit', '2.5', '--reason', 'test run', '--idempotency-key', 'run-1'], { env });
    assert.match(again.stdout, /Already debited 2.5 credits/);
    assert.equal((await home.json(['credits', 'balance'], { env })).credits_left, 97.5, 'the same idempotency key never debits twice');

    const bad = await home.run(['credits', 'debit', '-1', '--reason', 'x'], { env });
    assert.equal(bad.code, 2);
    const tooMuch = await home.run(['credits', 'debit', '1000', '--reason', 'x'], { env });
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.stderr, /^error: INSUFFICIENT_CREDITS: /m);
    home.remove();
  });

  it('errors: error_code and message on stderr, exit 3 with the auth login hint on 401, 4 on 404, nothing on stdout', async () => {
    home = cli.newHome();
    const env = { FUNCSPEC_BASE_URL: cli.t.url };
    const revoked = generateKey('live');
    const invalid = await home.run(['credits', 'balance'], { env: { ...env, FUNCSPEC_API_KEY: revoked } });
    assert.equal(invalid.code, 3);
    assert.equal(invalid.stdout, '');
    assert.match(invalid.stderr, /^error: INVALID_API_KEY: The API key is invalid, expired or revoked\.$/m);
    assert.match(invalid.stderr, /^hint: run `funcspec auth login`/m);
    assert.match(invalid.stderr, /^request id: \S+$/m);
    assertNoKey(invalid, revoked);

    const none = await home.run(['credits', 'balance'], { env });
    assert.equal(none.code, 3);
    assert.match(none.stderr, /no API key/);
    assert.match(none.stderr, /funcspec auth login/);

    const { key } = await agentKey(cli.t);
    const missing = await home.run(['credits', 'balance', '--org', 'no-such-org'], { env: { ...env, FUNCSPEC_API_KEY: key } });
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /^error: NOT_FOUND: /m);
    home.remove();
  });

  it('on 429 it waits Retry-After and retries, saying so on stderr', async () => {
    home = cli.newHome();
    let calls = 0;
    const stub: Server = createServer((_request, response) => {
      calls += 1;
      if (calls === 1) {
        response.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        response.end(
          JSON.stringify({ status: 429, error_code: 'RATE_LIMITED', message: 'Too many requests.', details: { retry_after_seconds: 1 }, request_id: 'r1' }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ total_credits: 1, credits_used: 0, credits_left: 1 }));
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const result = await home.run(['credits', 'balance', '--format', 'json'], { env: { FUNCSPEC_API_KEY: generateKey('live'), FUNCSPEC_BASE_URL: url } });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(calls, 2);
      assert.ok(Date.now() - started >= 1000, 'it waited the second Retry-After asked for');
      assert.match(result.stderr, /rate limited \(RATE_LIMITED\); waiting 1 s as Retry-After asks, then retrying \(1\/3\)/);
      assert.deepEqual(JSON.parse(result.stdout), { total_credits: 1, credits_used: 0, credits_left: 1 });
    } finally {
      stub.close();
    }
  });

  it('on 429 with a Retry-After beyond the bound it stops at once with exit 5 (real server, limit 1 per hour)', async () => {
    home = cli.newHome();
    const { key } = await agentKey(cli.t);
    const me = await cli.t.request('GET', '/api/v1/me', { key });
    // The operator command of the same binary, as an operator would run it.
    const operator = new CliHome();
    const set = await operator.run(['admin', 'org', 'set-plan', me.body.data.organization.id, 'enterprise', '--rate-limit', '1'], { env: cli.t.env });
    operator.remove();
    assert.equal(set.code, 0, set.stderr);
    const started = Date.now();
    const result = await home.run(['credits', 'balance'], { env: { FUNCSPEC_API_KEY: key, FUNCSPEC_BASE_URL: cli.t.url } });
    assert.equal(result.code, 5);
    assert.match(result.stderr, /^error: RATE_LIMITED: /m);
    assert.match(result.stderr, /Retry-After is \d+ s, longer than the 60 s funcspec waits/);
    assert.ok(Date.now() - started < 10_000, 'it did not sit out the hour');
  });

  it('bad input: server down gives a clear error naming the URL and a non-zero exit', async () => {
    home = cli.newHome();
    const down = `http://127.0.0.1:${await closedPort()}`;
    const result = await home.run(['credits', 'balance'], { env: { FUNCSPEC_API_KEY: generateKey('live'), FUNCSPEC_BASE_URL: down } });
    assert.equal(result.code, 1);
    assert.ok(result.stderr.startsWith(`error: cannot reach the FuncSpec server at ${down}/api/v1/credits/balance: connection refused`), result.stderr);
    assert.match(result.stderr, /check base_url/);
    const login = await home.run(['auth', 'login', '--with-key', '--base-url', down], { input: generateKey('live') });
    assert.equal(login.code, 1);
    assert.ok(login.stderr.includes(`cannot reach the FuncSpec server at ${down}/api/v1/me`), login.stderr);
    assert.equal(existsSync(home.configFile), false, 'nothing saved');
  });

  it('threat: a key sent in clear — a plain-http server off this machine gets a warning on stderr, a local one does not', async () => {
    home = cli.newHome();
    const remote = await home.run(['credits', 'balance'], {
      env: { FUNCSPEC_API_KEY: generateKey('live'), FUNCSPEC_BASE_URL: 'http://192.0.2.1:9', FUNCSPEC_TIMEOUT: '1' },
    });
    assert.match(remote.stderr, /^warning: http:\/\/192\.0\.2\.1:9 is plain http: your API key .* unencrypted; use https:\/\//m);
    const local = await home.run(['credits', 'balance'], {
      env: { FUNCSPEC_API_KEY: generateKey('live'), FUNCSPEC_BASE_URL: `http://127.0.0.1:${await closedPort()}` },
    });
    assert.doesNotMatch(local.stderr, /plain http/);
  });

  it('bad input: unknown command or flag exits 2 with a suggestion', async () => {
    home = cli.newHome();
    const command = await home.run(['projets', 'list']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command 'projets'/);
    assert.match(command.stderr, /Did you mean projects\?/);
    const sub = await home.run(['items', 'lst']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /Did you mean list\?/);
    const flag = await home.run(['credits', 'balance', '--fromat', 'json']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--fromat'/);
    assert.match(flag.stderr, /Did you mean --format\?/);
    const choice = await home.run(['credits', 'balance', '--format', 'yaml']);
    assert.equal(choice.code, 2);
    assert.match(choice.stderr, /Allowed choices are table, json/);
    const missingArg = await home.run(['items', 'get']);
    assert.equal(missingArg.code, 2);
  });

  it('--version, and --help on every command (each has a description and lists its options)', async () => {
    home = cli.newHome();
    const version = await home.run(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
    for (const args of [['--help'], ['items', 'create', '--help'], ['config', 'profile', 'create', '--help'], ['admin', 'org', 'set-plan', '--help']]) {
      const help = await home.run(args);
      assert.equal(help.code, 0, args.join(' '));
      assert.match(help.stdout, /^Usage: funcspec/);
    }

    // Every command of the tree, in-process: `--help` works, says what it does, and exits 0.
    const paths: string[][] = [];
    const walk = (command: Command, prefix: string[]) => {
      for (const sub of command.commands) {
        paths.push([...prefix, sub.name()]);
        walk(sub, [...prefix, sub.name()]);
      }
    };
    walk(buildProgram(), []);
    assert.ok(paths.length > 40, `found ${paths.length} commands`);
    for (const commandPath of paths) {
      let printed = '';
      const program = buildProgram();
      const configure = (command: Command) => {
        command.configureOutput({ writeOut: (s) => (printed += s), writeErr: (s) => (printed += s) });
        command.commands.forEach(configure);
      };
      configure(program);
      await assert.rejects(program.parseAsync([...commandPath, '--help'], { from: 'user' }), (error: CommanderError) => error.exitCode === 0);
      assert.match(printed, new RegExp(`^Usage: funcspec ${commandPath.join(' ')}`), commandPath.join(' '));
      const description = printed.split('\n')[2] ?? '';
      assert.ok(description.trim().length > 3, `${commandPath.join(' ')} has a description`);
    }
  });
});
