import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { generateKey, KeyFinder, findKeys } from '../src/keys/format.js';
import { BIN, CliHome, ensureBuilt } from './helpers/cli.js';
import { MANY_AGENTS } from './helpers/orgs.js';
import { brokenChecksum } from './helpers/keys.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

const masked = (key: string) => `fs_${key.slice(3, 7)}_…${key.slice(-4)}`;

/** A scratch git repository in `dir`: `git(args)` runs in it as a fixed author. */
function scratchRepository(dir: string) {
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Dev',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'Dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
  };
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { env, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  return { git, write };
}

describe('funcspec scan: keys in a working tree and its git history', () => {
  let t: TestServer;
  let home: CliHome;
  before(async () => {
    ensureBuilt();
    t = await startTestServer(MANY_AGENTS);
  });
  afterEach(() => home?.remove());
  after(() => t.close());

  it('funcspec scan finds a planted key in the working tree and, with --git, in an old commit; a broken checksum is ignored; offline; the key never printed whole', async () => {
    home = new CliHome();
    const inTree = generateKey('live');
    const inHistory = generateKey('test');
    const repo = scratchRepository(path.join(home.dir, 'app'));
    repo.write('deploy/old.env', `# deploy settings\nFUNCSPEC_API_KEY=${inHistory}\n`);
    repo.write('README.md', 'An app.\n');
    repo.git('add', '.');
    repo.git('commit', '-qm', 'deploy settings');
    const oldCommit = repo.git('rev-parse', 'HEAD');
    repo.git('rm', '-q', 'deploy/old.env');
    repo.git('commit', '-qm', 'no settings in the repository');
    repo.write('src/client.ts', `import { Client } from 'funcspec';\n\nconst key = "${inTree}";\n`);
    repo.write('notes.md', `typo: ${brokenChecksum(inTree)}\nglued: x${inTree}\n${inHistory}y\n`);
    repo.git('add', '.');
    repo.git('commit', '-qm', 'client');
    // Offline: a server that is not there is never asked.
    const offline = { env: { FUNCSPEC_BASE_URL: 'http://127.0.0.1:1' } };

    const tree = await home.run(['scan', 'app'], offline);
    assert.equal(tree.code, 1, tree.stderr);
    assert.equal(tree.stdout, `app/src/client.ts:3: ${masked(inTree)}\n`);
    assert.match(tree.stderr, /1 place holds 1 distinct key/);

    const history = await home.run(['scan', '--git', 'app'], offline);
    assert.equal(history.code, 1, history.stderr);
    assert.deepEqual(history.stdout.trim().split('\n').sort(), [
      `app/deploy/old.env:2: ${masked(inHistory)} (commit ${oldCommit.slice(0, 12)})`,
      `app/src/client.ts:3: ${masked(inTree)}`,
      `app/src/client.ts:3: ${masked(inTree)} (commit ${repo.git('rev-parse', 'HEAD').slice(0, 12)})`,
    ]);
    const json = await home.run(['scan', '--git', 'app', '--format', 'json'], offline);
    assert.deepEqual(
      JSON.parse(json.stdout).find((f: { file: string }) => f.file === 'app/deploy/old.env'),
      { file: 'app/deploy/old.env', line: 2, key: masked(inHistory), commit: oldCommit },
    );
    for (const out of [tree, history, json]) assert.ok(!`${out.stdout}${out.stderr}`.includes(inTree) && !`${out.stdout}${out.stderr}`.includes(inHistory));

    repo.write('src/client.ts', 'const key = process.env.FUNCSPEC_API_KEY;\n');
    const clean = await home.run(['scan', 'app'], offline);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.stdout, '');
    assert.match(clean.stderr, /no FuncSpec API keys in 3 files/);
  });

  it("funcspec scan --report: the planted key stops working on the next request and the owner's mail arrives", async () => {
    home = new CliHome();
    const { email, key } = await agentKey(t);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200);
    const repo = scratchRepository(path.join(home.dir, 'service'));
    repo.write('ci.yml', `env:\n  FUNCSPEC_API_KEY: ${key}\n`);
    repo.git('add', '.');
    repo.git('commit', '-qm', 'ci');
    repo.write('ci.yml', 'env: {}\n');
    repo.git('commit', '-qam', 'oops');

    const mailsBefore = t.mail.to(email).length;
    const reported = await home.run(['scan', '--git', '--report', 'service'], { env: { FUNCSPEC_BASE_URL: t.url } });
    assert.equal(reported.code, 1, reported.stderr);
    assert.match(reported.stdout, new RegExp(`^service/ci\\.yml:2: ${masked(key).replace('…', '.')} \\(commit [0-9a-f]{12}\\)$`, 'm'));
    assert.match(reported.stderr, /reported 1 key to http:\/\/127\.0\.0\.1:\d+; every one that was live there is revoked now/);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 401);
    const mail = await t.mail.waitFor(email, { after: mailsBefore });
    assert.match(mail.subject, /reported as leaked and is revoked/);
    assert.match(mail.text, new RegExp(`ending in ${key.slice(-4)}`));
  });

  it("funcspec scan: the README's pre-commit hook, copied as it is, refuses a commit that adds a key and lets a clean one through", async () => {
    home = new CliHome();
    const hook = /```sh\n(#!\/bin\/sh\n[^`]*funcspec scan[^`]*)```/.exec(readFileSync('README.md', 'utf8'))?.[1];
    assert.ok(hook, 'the README has the hook');
    const bin = path.join(home.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'funcspec'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const dir = path.join(home.dir, 'hooked');
    const repo = scratchRepository(dir);
    writeFileSync(path.join(dir, '.git', 'hooks', 'pre-commit'), hook);
    chmodSync(path.join(dir, '.git', 'hooks', 'pre-commit'), 0o755);
    const commit = (message: string) =>
      execFileSync('git', ['-C', dir, 'commit', '-qm', message], {
        env: {
          ...process.env,
          HOME: home.dir,
          PATH: `${bin}:${process.env.PATH}`,
          GIT_AUTHOR_NAME: 'Dev',
          GIT_AUTHOR_EMAIL: 'd@example.com',
          GIT_COMMITTER_NAME: 'Dev',
          GIT_COMMITTER_EMAIL: 'd@example.com',
        },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    repo.write('app.ts', 'export const answer = 42;\n');
    repo.git('add', '.');
    commit('clean');
    const key = generateKey('live');
    repo.write('config/local.ts', `export const key = '${key}';\n`);
    repo.git('add', '.');
    assert.throws(
      () => commit('with a key'),
      (error: { status: number; stderr: string }) => error.status !== 0 && error.stderr.includes(`config/local.ts:1: ${masked(key)}`),
    );
    assert.equal(repo.git('rev-list', '--count', 'HEAD'), '1', 'the commit with the key was refused');
  });

  it('funcspec scan: a path that does not exist, or --git outside a repository, exits 2 with one line', async () => {
    home = new CliHome();
    const missing = await home.run(['scan', 'no-such-dir']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: no-such-dir: no such file or directory$/m);
    mkdirSync(path.join(home.dir, 'plain'));
    const notGit = await home.run(['scan', '--git', 'plain']);
    assert.equal(notGit.code, 2);
    assert.match(notGit.stderr, /not a git repository/);
  });

  it('key finder: a key split across chunks of every size is found once, on its line; look-alikes are not', () => {
    const [a, b] = [generateKey('live'), generateKey('test')];
    const text = Buffer.from(`one\n${a}\n\n"${b}",\nx${a} ${b}9\n${brokenChecksum(a)}\r\n${b}`);
    const expected = [
      { key: a, line: 2 },
      { key: b, line: 4 },
      { key: b, line: 7 },
    ];
    assert.deepEqual(findKeys(text), expected);
    for (let size = 1; size <= text.length; size += 1) {
      const finder = new KeyFinder();
      const found = [];
      for (let at = 0; at < text.length; at += size) found.push(...finder.feed(text.subarray(at, at + size), at + size >= text.length));
      assert.deepEqual(found, expected, `chunks of ${size} bytes`);
    }
  });
});
