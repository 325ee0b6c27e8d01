import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { generateKey } from '../src/keys/format.js';
import { cliFixture, readToml } from './helpers/cli.js';
import { agentKey } from './helpers/server.js';

describe('CLI: interactive auth login in a real terminal', () => {
  const cli = cliFixture();
  const login = cli.login;

  it('paste-a-key path: the menu, a masked prompt, the key checked with GET /me and saved; the key never shows on screen', async () => {
    const { key, email } = await agentKey(cli.t);
    const tty = login();
    await tty.waitFor(/Log in to http:\/\/127\.0\.0\.1:\d+/);
    await tty.waitFor(/Paste an API key/);
    tty.press('Down', 'Down', 'Enter');
    await tty.waitFor(/◆\s+API key\s*$/m); // the masked prompt itself, not the menu line "Paste an API key"
    tty.type(key);
    tty.press('Enter');
    assert.equal(await tty.exitCode(), 0, tty.screen());
    const screen = tty.screen();
    assert.ok(screen.includes(`as ${email}`), screen);
    assert.ok(screen.includes(`fs_live_…${key.slice(-4)}`), screen);
    assert.ok(!screen.includes(key), 'the pasted key is masked on screen');
    assert.deepEqual(readToml(cli.home.configFile), { api_key: key, base_url: cli.t.url });
  });

  it('paste-a-key path: a string that is not a key is refused at the prompt and nothing is sent or saved', async () => {
    const tty = login();
    await tty.waitFor(/Paste an API key/);
    tty.press('Down', 'Down', 'Enter');
    await tty.waitFor(/◆\s+API key\s*$/m); // the masked prompt itself, not the menu line "Paste an API key"
    tty.type('not-a-key');
    tty.press('Enter');
    await tty.waitFor(/That is not a FuncSpec API key/);
    tty.press('C-c');
    assert.notEqual(await tty.exitCode(), 0);
    assert.match(tty.screen(), /cancelled; nothing was changed/);
  });

  it('browser path honours SLOW_DOWN: after it, the CLI polls at the interval the server names (stub server)', async () => {
    const key = generateKey('live');
    const polls: number[] = [];
    const stub = createServer((request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
        response.end(JSON.stringify(body));
      };
      const problem = (code: string, details: Record<string, unknown>) => send(400, { status: 400, error_code: code, message: code, details, request_id: 'r' });
      if (request.url === '/api/v1/auth/device/code') {
        return send(200, {
          data: {
            device_code: 'dc',
            user_code: 'BCDF-GHJK',
            verification_uri: 'http://x/device',
            verification_uri_complete: 'http://x/device?user_code=BCDF-GHJK',
            expires_in: 60,
            interval: 1,
          },
        });
      }
      if (request.url === '/api/v1/auth/device/token') {
        polls.push(Date.now());
        if (polls.length === 1) return problem('SLOW_DOWN', { interval: 2 });
        if (polls.length === 2) return problem('AUTHORIZATION_PENDING', { interval: 2 });
        return send(200, { data: { api_key: key, organization: { id: 'org_1', name: 'Acme', slug: 'acme' } } });
      }
      if (request.url === '/api/v1/me') {
        return send(200, {
          data: {
            user: { id: 'usr_1', email: 'a@example.com', name: null },
            organization: { id: 'org_1', name: 'Acme', slug: 'acme', plan: 'free' },
            role: 'owner',
            auth: 'api_key',
            api_key: { id: 'key_1', name: 'funcspec CLI on x', last_four: key.slice(-4) },
          },
        });
      }
      send(404, { status: 404, error_code: 'NOT_FOUND', message: 'No such resource.', details: {}, request_id: 'r' });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    try {
      cli.newHome();
      const started = Date.now();
      const result = await cli.home.run(['auth', 'login', '--web', '--base-url', `http://127.0.0.1:${(stub.address() as AddressInfo).port}`]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(polls.length, 3);
      assert.ok(polls[0]! - started >= 1000, 'the first poll waits the interval');
      assert.ok(polls[1]! - polls[0]! >= 2000, 'after SLOW_DOWN the interval is the one the server named');
      assert.ok(polls[2]! - polls[1]! >= 2000, 'and it stays slower for the rest of the flow');
      assert.match(result.stderr, /poll less often; now every 2 s/);
      assert.equal(readToml(cli.home.configFile).api_key, key);
      assert.ok(!`${result.stdout}${result.stderr}`.includes(key));
    } finally {
      stub.close();
    }
  });
});
