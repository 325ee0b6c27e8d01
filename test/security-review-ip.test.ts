import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

// Threat: per-IP throttles (password guessing, agent sign-ups, account mails, device codes) counted
// single addresses. An IPv6 client holds a whole /64 (2^64 addresses) and can send each request from a
// fresh one: every throttle started over, and each fresh address left one more counter in memory.
// IPv6 clients are counted by their /64; IPv4 clients (also when written IPv4-mapped) by their address.

let host = 0;
/** A fresh address inside one /64, as a client rotating through its own prefix would use. */
function inPrefix(prefix: string): string {
  host += 1;
  return `${prefix}:${(host % 0xffff).toString(16)}:${((host * 7919) % 0xffff).toString(16)}:1:${(host % 0xfff).toString(16)}`;
}

describe('security review: per-IP throttles count an IPv6 client by its /64', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_TRUST_PROXY: '127.0.0.1',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '3',
      FUNCSPEC_AGENT_SIGNUPS_PER_IP: '3',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '3',
    });
  });
  after(() => t.close());

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('threat: rotating addresses inside one /64 does not reset the per-IP login, agent sign-up, mail and device-code throttles', async () => {
    const cases: Array<[string, (ip: string) => Promise<number>, number]> = [
      [
        'login',
        async (ip) =>
          (await t.request('POST', '/api/v1/auth/login', { headers: from(ip), body: { email: uniqueEmail('spray'), password: 'Wrong-Guess-Abc-1' } })).status,
        401,
      ],
      [
        'agent sign-up',
        async (ip) => (await t.request('POST', '/api/v1/agent/sign-up', { headers: from(ip), body: { email: uniqueEmail('spray') } })).status,
        200,
      ],
      [
        'forgot password',
        async (ip) => (await t.request('POST', '/api/v1/auth/password/forgot', { headers: from(ip), body: { email: uniqueEmail('spray') } })).status,
        202,
      ],
    ];
    for (const [name, call, ok] of cases) {
      const prefix = `2001:db8:${(host + 1).toString(16)}:${name.length.toString(16)}`;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push(await call(inPrefix(prefix)));
      assert.deepEqual(statuses, [ok, ok, ok, 429, 429], `${name}: one /64 is one client`);
      assert.equal(await call(inPrefix(`2001:db8:ffff:${name.length.toString(16)}`)), ok, `${name}: another /64 is another client`);
    }
    // Device codes share the login allowance per client (3 here).
    const prefix = '2001:db8:dead:beef';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await t.request('POST', '/api/v1/auth/device/code', { headers: from(inPrefix(prefix)), body: { client_name: 'laptop' } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });

  it('IPv4 clients are still counted one address each, whether written plain or IPv4-mapped', async () => {
    const login = async (ip: string) =>
      (await t.request('POST', '/api/v1/auth/login', { headers: from(ip), body: { email: uniqueEmail('v4'), password: 'Wrong-Guess-Abc-1' } })).status;
    assert.deepEqual(
      [await login('198.51.100.7'), await login('::ffff:198.51.100.7'), await login('198.51.100.7'), await login('::ffff:198.51.100.7')],
      [401, 401, 401, 429],
    );
    assert.equal(await login('198.51.100.8'), 401, 'the next address is another client');
  });

  it('the audit log still records the full client address', async () => {
    const ip = '2001:db8:aaaa:bbbb:1:2:3:4';
    const email = uniqueEmail('audited');
    await t.request('POST', '/api/v1/auth/login', { headers: from(ip), body: { email, password: 'Wrong-Guess-Abc-1' } });
    const rows = await t.server.ctx.db.selectFrom('audit_log').select('ip').where('action', '=', 'auth.login').orderBy('created_at', 'desc').execute();
    assert.ok(
      rows.some((row) => row.ip === ip),
      JSON.stringify(rows.slice(0, 3)),
    );
  });
});
