import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freshDatabase, type TestDatabase } from './helpers/databases.js';
import { client } from './helpers/http.js';
import { codeFrom, MailTrap } from './helpers/mailtrap.js';
import { runFuncspec } from './helpers/operator.js';
import { processEnv, spawnPair, type ServerProcess } from './helpers/process.js';
import { redisAnswers, redisServerInstalled, startPrivateRedis } from './helpers/services.js';
import { startTestServer, uniqueEmail } from './helpers/server.js';

const SHARED_REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function agentKeyAt(url: string, mail: MailTrap): Promise<string> {
  const request = client(url);
  const email = uniqueEmail();
  assert.equal((await request('POST', '/api/v1/agent/sign-up', { body: { email } })).status, 200);
  const verify = await request('POST', '/api/v1/agent/verify', { body: { email, otp_code: codeFrom(await mail.waitFor(email)) } });
  return verify.body.api_key;
}

for (const shareRedis of [true, false])
  describe(`two server processes on one database behave as one (${shareRedis ? 'sharing Redis' : 'no Redis'})`, () => {
    let db: TestDatabase;
    let mail: MailTrap;
    let env: Record<string, string>;
    let a: ServerProcess;
    let b: ServerProcess;
    let stopServers: () => Promise<void>;
    let haveRedis = false;
    before(async () => {
      haveRedis = shareRedis && (await redisAnswers(SHARED_REDIS));
      db = await freshDatabase();
      mail = await new MailTrap().start();
      env = processEnv(db, mail, haveRedis ? SHARED_REDIS : undefined);
      ({ a, b, stop: stopServers } = await spawnPair(env));
    });
    after(async () => {
      await stopServers();
      await mail.close();
      await db.drop();
    });

    it('a revoked key fails on the very next request at another process that had it cached', async () => {
      const agent = await agentKeyAt(a.url, mail);
      const atA = client(a.url);
      const atB = client(b.url);
      const org = (await atA('GET', '/api/v1/me', { key: agent })).body.data.organization.slug;
      const made = (await atA('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'cached at B' } })).body.data;
      for (let i = 0; i < 3; i++) assert.equal((await atB('GET', '/api/v1/me', { key: made.key })).status, 200, 'B knows and caches the key');
      assert.equal((await atA('DELETE', `/api/v1/organizations/${org}/api-keys/${made.id}`, { key: agent })).status, 204);
      const next = await atB('GET', '/api/v1/me', { key: made.key });
      assert.equal(next.status, 401, 'the very next request at B fails');
      assert.equal(next.body.error_code, 'INVALID_API_KEY');
    });

    it('a key created at one process works at once at the other (its key filter catches up)', async () => {
      const agent = await agentKeyAt(a.url, mail);
      const atA = client(a.url);
      const org = (await atA('GET', '/api/v1/me', { key: agent })).body.data.organization.slug;
      for (let i = 0; i < 3; i++) {
        const made = (await atA('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: `fresh ${i}` } })).body.data;
        assert.equal((await client(b.url)('GET', '/api/v1/me', { key: made.key })).status, 200);
      }
    });

    it('a debit at one process shows in the very next balance read at the other, which had the balance cached', async () => {
      const agent = await agentKeyAt(a.url, mail);
      const org = (await client(a.url)('GET', '/api/v1/me', { key: agent })).body.data.organization.slug;
      for (let i = 0; i < 3; i++) assert.equal((await client(b.url)('GET', '/api/v1/credits/balance', { key: agent })).body.credits_used, 0);
      for (const amount of [7, 3]) {
        const debit = await client(a.url)('POST', `/api/v1/organizations/${org}/credits/debits`, {
          key: agent,
          body: { amount, reason: 'work', idempotency_key: `job-${amount}` },
        });
        assert.equal(debit.status, 201, JSON.stringify(debit.body));
        const atB = await client(b.url)('GET', '/api/v1/credits/balance', { key: agent });
        assert.deepEqual(atB.body, debit.body.data.balance, 'B answers the balance A just wrote');
      }
    });

    it('with the limit at N, N+50 concurrent requests spread over both processes admit exactly N (shared Redis)', async (t) => {
      if (!haveRedis) return t.skip(shareRedis ? 'needs Redis at REDIS_URL (or 127.0.0.1:6379)' : 'exact across processes only with a shared Redis');
      const N = 40;
      const agent = await agentKeyAt(a.url, mail);
      const org = (await client(a.url)('GET', '/api/v1/me', { key: agent })).body.data.organization.slug;
      const made = (await client(a.url)('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'limited' } })).body.data;
      const set = await runFuncspec(['admin', 'org', 'set-plan', org, 'enterprise', '--rate-limit', String(N)], env);
      assert.equal(set.code, 0, set.stderr);
      const replies = await Promise.all(
        Array.from({ length: N + 50 }, (_, i) => client(i % 2 ? a.url : b.url)('GET', '/api/v1/credits/balance', { key: made.key })),
      );
      const admitted = replies.filter((r) => r.status === 200);
      assert.equal(admitted.length, N, `admitted ${admitted.length}`);
      const refused = replies.filter((r) => r.status !== 200);
      assert.ok(
        refused.every((r) => r.status === 429 && r.body.error_code === 'RATE_LIMITED'),
        JSON.stringify(refused.map((r) => r.body).filter((b) => b.status !== 429)),
      );
      const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((x, y) => x - y);
      assert.deepEqual(
        remaining,
        Array.from({ length: N }, (_, i) => i),
        'each admitted request saw a distinct remaining count',
      );
    });
  });

describe('client addresses: X-Forwarded-For is believed only from trusted proxies', () => {
  it('threat: a spoofed X-Forwarded-For from an untrusted peer dodges neither an IP allow-list nor the per-IP limit', async () => {
    const t = await startTestServer({ FUNCSPEC_AGENT_SIGNUPS_PER_IP: '3', FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '100' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const reply = await t.request('POST', '/api/v1/agent/sign-up', { body: { email: uniqueEmail() }, headers: { 'x-forwarded-for': `198.51.100.${i}` } });
        statuses.push(reply.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429], 'rotating X-Forwarded-For does not reset the per-IP count');

      const t2 = await startTestServer();
      try {
        const { agentKey } = await import('./helpers/server.js');
        const { key } = await agentKey(t2);
        const org = (await t2.request('GET', '/api/v1/me', { key })).body.data.organization.slug;
        const fenced = (
          await t2.request('POST', `/api/v1/organizations/${org}/api-keys`, { key, body: { name: 'office only', allowed_ips: ['203.0.113.0/24'] } })
        ).body.data;
        const spoofed = await t2.request('GET', '/api/v1/me', { key: fenced.key, headers: { 'x-forwarded-for': '203.0.113.9' } });
        assert.equal(spoofed.status, 403);
        assert.equal(spoofed.body.error_code, 'IP_NOT_ALLOWED');
        assert.equal(spoofed.headers.get('x-ratelimit-remaining'), null, 'a refused address is not counted against the key');
        const local = (
          await t2.request('POST', `/api/v1/organizations/${org}/api-keys`, { key, body: { name: 'loopback', allowed_ips: ['127.0.0.0/8', '::1'] } })
        ).body.data;
        assert.equal((await t2.request('GET', '/api/v1/me', { key: local.key })).status, 200, 'the real peer address is allowed');
      } finally {
        await t2.close();
      }
    } finally {
      await t.close();
    }
  });

  it('behind a trusted proxy (FUNCSPEC_TRUST_PROXY=127.0.0.1) the forwarded address is the client', async () => {
    const t = await startTestServer({ FUNCSPEC_TRUST_PROXY: '127.0.0.1,::1' });
    try {
      const { agentKey } = await import('./helpers/server.js');
      const { key } = await agentKey(t);
      const org = (await t.request('GET', '/api/v1/me', { key })).body.data.organization.slug;
      const fenced = (await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key, body: { name: 'office only', allowed_ips: ['203.0.113.0/24'] } }))
        .body.data;
      assert.equal((await t.request('GET', '/api/v1/me', { key: fenced.key, headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 200);
      assert.equal((await t.request('GET', '/api/v1/me', { key: fenced.key, headers: { 'x-forwarded-for': '192.0.2.1' } })).status, 403);
      assert.equal((await t.request('GET', '/api/v1/me', { key: fenced.key })).status, 403, 'the proxy itself is not in the list');
    } finally {
      await t.close();
    }
  });
});

describe('Redis down: fail closed, and recover', () => {
  it('with its Redis gone the server answers 503 on key-authenticated requests and /readyz, then recovers when it is back', async (t) => {
    if (!redisServerInstalled()) return t.skip('redis-server is not installed here');
    const redis = await startPrivateRedis();
    const url = redis.url;
    const server = await startTestServer({ REDIS_URL: url });
    try {
      const { agentKey } = await import('./helpers/server.js');
      const { key } = await agentKey(server);
      assert.equal((await server.request('GET', '/api/v1/me', { key })).status, 200);

      await redis.stop('SIGKILL');
      const down = await server.request('GET', '/api/v1/me', { key });
      assert.equal(down.status, 503);
      assert.equal(down.body.error_code, 'SERVICE_UNAVAILABLE');
      assert.equal(down.headers.get('retry-after'), '1');
      const ready = await server.request('GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.details.checks.redis, 'unavailable');
      assert.equal((await server.request('POST', '/api/v1/agent/sign-up', { body: { email: uniqueEmail() } })).status, 503, 'sign-up limits fail closed too');

      await redis.start();
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await server.request('GET', '/api/v1/me', { key })).status;
      }
      assert.equal(status, 200, 'recovers when Redis is back');
      assert.equal((await server.request('GET', '/readyz')).status, 200);
    } finally {
      await server.close();
      await redis.close();
    }
  });
});
