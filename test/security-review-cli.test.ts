import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browserCommand, openableUrl } from '../src/cli/browser.js';
import { CliHome } from './helpers/cli.js';
import { MANY_AGENTS } from './helpers/orgs.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

// The CLI talks to whatever server its base URL names, sometimes over plain http. These tests play a
// hostile server (or someone on the path) that answers with strings and URLs meant to act on the user's
// machine: a URL the CLI would open, terminal escape sequences in what it prints.

const ESC = '\u001b';
const HOSTILE = `${ESC}]0;pwned${ESC}\\${ESC}[2J${ESC}[31mRED\u0007\u009b`;

/** A tiny HTTP server that answers the device-flow start with `deviceAnswer` and every other call with a problem full of escapes. */
async function hostileServer(deviceAnswer: (base: string) => Record<string, unknown>): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (request.url === '/api/v1/auth/device/code') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: deviceAnswer(base) }));
      return;
    }
    response.writeHead(403, { 'content-type': 'application/problem+json' }).end(
      JSON.stringify({
        status: 403,
        error_code: 'FORBIDDEN',
        message: `Denied ${HOSTILE}`,
        details: { reason: HOSTILE, fields: { name: HOSTILE } },
        request_id: HOSTILE,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('security review: the CLI against a hostile server', () => {
  let home: CliHome;
  let recorder: string;
  let opened: string;
  before(() => {
    home = new CliHome();
    opened = path.join(home.dir, 'opened.txt');
    recorder = path.join(home.dir, 'browser.sh');
    writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${opened}'\n`);
    chmodSync(recorder, 0o755);
  });
  after(() => home.remove());

  const login = (baseUrl: string) =>
    home.run(['auth', 'login', '--web', '--base-url', baseUrl], {
      env: { FUNCSPEC_NO_BROWSER: undefined, BROWSER: recorder, DISPLAY: ':0' },
      timeoutMs: 15_000,
    });

  for (const [label, uri] of [
    ['a file: URL', 'file:///etc/passwd'],
    ['a custom scheme', 'vscode://evil/run?cmd=calc'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a look-alike site', 'https://funcspec-login.example/device'],
    ['a shell command in the URL', 'http://127.0.0.1:1/device?x=1&calc.exe'],
  ] as const) {
    it(`threat: the server makes the CLI open ${label} — only http(s) pages on the CLI's own server are opened, never through a shell`, async () => {
      const hostile = await hostileServer(() => ({
        device_code: 'd',
        user_code: 'ABCD-EFGH',
        verification_uri: uri,
        verification_uri_complete: uri,
        expires_in: 1,
        interval: 1,
      }));
      try {
        const result = await login(hostile.url);
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /Not opening that page/);
        assert.equal(existsSync(opened), false, `nothing was opened: ${existsSync(opened) ? readFileSync(opened, 'utf8') : ''}`);
      } finally {
        hostile.server.close();
      }
    });
  }

  it("the device page on the CLI's own server is opened, as one argument, with no shell", async () => {
    const hostile = await hostileServer((base) => ({
      device_code: 'd',
      user_code: 'ABCD-EFGH',
      verification_uri: `${base}/device`,
      verification_uri_complete: `${base}/device?user_code=ABCD-EFGH`,
      expires_in: 1,
      interval: 1,
    }));
    try {
      await login(hostile.url);
      assert.deepEqual(readFileSync(opened, 'utf8').trim().split('\n'), [`${hostile.url}/device?user_code=ABCD-EFGH`]);
    } finally {
      hostile.server.close();
    }
  });

  it('opening is refused for other schemes and origins, and never goes through a shell on any platform (unit)', () => {
    const base = 'https://specs.example.com';
    assert.equal(openableUrl('https://specs.example.com/device?user_code=A', base)?.href, 'https://specs.example.com/device?user_code=A');
    for (const bad of [
      'http://specs.example.com/device',
      'https://specs.example.com.evil/device',
      'https://user:pw@specs.example.com/device',
      'file:///c:/windows/system32/calc.exe',
      'ms-settings:',
      'not a url',
    ]) {
      assert.equal(openableUrl(bad, base), null, bad);
    }
    const url = new URL('https://specs.example.com/device?a=1&b=2"|calc');
    assert.deepEqual(browserCommand('win32', {}, url), ['rundll32', ['url.dll,FileProtocolHandler', 'https://specs.example.com/device?a=1&b=2%22|calc']]);
    assert.deepEqual(browserCommand('darwin', {}, url)?.[0], 'open');
    assert.deepEqual(browserCommand('linux', { DISPLAY: ':0' }, url)?.[0], 'xdg-open');
    assert.equal(browserCommand('linux', {}, url), null, 'no graphical session: nothing is opened');
  });

  it('threat: terminal escape sequences in server strings — error messages, details, request ids and device-flow prompts reach the terminal filtered', async () => {
    const hostile = await hostileServer(() => ({
      device_code: 'd',
      user_code: `ABCD${HOSTILE}`,
      verification_uri: `https://x/${HOSTILE}`,
      expires_in: 1,
      interval: 1,
    }));
    try {
      const failed = await home.run(['orgs', 'get', 'acme', '--base-url', hostile.url, '--api-key', 'fs_live_00000000000000000000000000000000000000']);
      assert.equal(failed.code, 4);
      assert.match(failed.stderr, /error: FORBIDDEN: Denied /);
      assert.doesNotMatch(failed.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, `no control character in: ${JSON.stringify(failed.stderr)}`);
      const device = await login(hostile.url);
      assert.match(device.stderr, /To log in, open/);
      assert.doesNotMatch(device.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, `no control character in: ${JSON.stringify(device.stderr)}`);
    } finally {
      hostile.server.close();
    }
  });
});

describe('security review: CLI ids', () => {
  let t: TestServer;
  let home: CliHome;
  before(async () => {
    t = await startTestServer(MANY_AGENTS);
    home = new CliHome();
  });
  after(async () => {
    home.remove();
    await t.close();
  });

  it('threat: `.` and `..` as ids walk up the URL — `members remove .. --org X --yes` would delete the organization; they are refused before any request', async () => {
    const { key } = await agentKey(t);
    const me = await t.request('GET', '/api/v1/me', { key });
    const org = me.body.data.organization.slug;
    const env = { FUNCSPEC_API_KEY: key, FUNCSPEC_BASE_URL: t.url };
    for (const args of [
      ['members', 'remove', '..', '--org', org, '--yes'],
      ['members', 'remove', '.', '--org', org, '--yes'],
      ['keys', 'revoke', '..', '--yes'],
      ['orgs', 'get', '..'],
      ['items', 'get', '..', '--project', '..'],
    ]) {
      const result = await home.run(args, { env });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /is not an id, slug or permalink/);
    }
    assert.equal((await t.request('GET', `/api/v1/organizations/${org}`, { key })).status, 200, 'the organization is still there');
  });
});
