import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { BIN, CliHome, ensureBuilt } from './helpers/cli.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';
import { Terminal } from './helpers/terminal.js';

function readToml(file: string): any {
  return JSON.parse(JSON.stringify(parse(readFileSync(file, 'utf8'))));
}

describe('CLI: interactive auth login in a real terminal', () => {
  let t: TestServer;
  let terminal: Terminal | undefined;
  let home: CliHome;
  before(async () => {
    ensureBuilt();
    t = await startTestServer({ FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000' });
  });
  afterEach(() => {
    terminal?.close();
    terminal = undefined;
    home?.remove();
  });
  after(() => t.close());

  function login(args: string[] = []): Terminal {
    home = new CliHome();
    terminal = Terminal.start([process.execPath, BIN, 'auth', 'login', '--base-url', t.url, ...args], home.env());
    return terminal;
  }

  it('paste-a-key path: the menu, a masked prompt, the key checked with GET /me and saved; the key never shows on screen', async () => {
    const { key, email } = await agentKey(t);
    const tty = login();
    await tty.waitFor(/Log in to http:\/\/127\.0\.0\.1:\d+/);
    await tty.waitFor(/Paste an API key/);
    tty.press('Down', 'Down', 'Enter');
    await tty.waitFor(/API key/);
    tty.type(key);
    tty.press('Enter');
    assert.equal(await tty.exitCode(), 0, tty.screen());
    const screen = tty.screen();
    assert.ok(screen.includes(`as ${email}`), screen);
    assert.ok(screen.includes(`fs_live_…${key.slice(-4)}`), screen);
    assert.ok(!screen.includes(key), 'the pasted key is masked on screen');
    assert.deepEqual(readToml(home.configFile), { api_key: key, base_url: t.url });
  });

  it('paste-a-key path: a string that is not a key is refused at the prompt and nothing is sent or saved', async () => {
    const tty = login();
    await tty.waitFor(/Paste an API key/);
    tty.press('Down', 'Down', 'Enter');
    await tty.waitFor(/API key/);
    tty.type('not-a-key');
    tty.press('Enter');
    await tty.waitFor(/That is not a FuncSpec API key/);
    tty.press('C-c');
    assert.notEqual(await tty.exitCode(), 0);
    assert.match(tty.screen(), /cancelled; nothing was changed/);
  });
});
