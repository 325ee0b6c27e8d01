/**
 * Two server processes behind a real nginx, on PostgreSQL + Redis, behave as one process: sessions,
 * revocations, rate limits and code guesses are shared, whichever process a request lands on.
 * Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL); on the SQLite run it skips.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrations } from '../src/db/migrations/index.js';
import { nginxInstalled } from '../scripts/cluster.js';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { usingPostgres } from './helpers/databases.js';
import { client } from './helpers/http.js';
import { codeFrom } from './helpers/mailtrap.js';
import { runFuncspec } from './helpers/operator.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { uniqueEmail } from './helpers/server.js';

const skip = !usingPostgres || !process.env.REDIS_URL ? 'needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)' : !nginxInstalled() ? 'needs nginx' : false;

describe('cluster: two processes behind nginx on PostgreSQL + Redis behave as one', { skip }, () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ processes: 2, redisUrl: process.env.REDIS_URL });
  });
  after(async () => {
    await tc?.close();
  });
  const nodes = () => tc.cluster.nodes.map((node) => client(node.url));

  it('migrations run once when both processes start at the same moment on a fresh database', async () => {
    const db = new pg.Client({ connectionString: tc.database.url });
    await db.connect();
    try {
      const applied = (await db.query('select name from kysely_migration order by name')).rows.map((r) => r.name);
      assert.deepEqual(applied, Object.keys(migrations).sort(), 'each migration recorded once');
    } finally {
      await db.end();
    }
    for (const node of tc.cluster.nodes) assert.equal((await client(node.url)('GET', '/readyz')).status, 200);
  });

  it('a session made on one process works on the other, and through the balancer', async () => {
    const [a, b] = nodes();
    const user = await verifiedUser(tc.asServer);
    const cookie = await loginCookie({ ...tc.asServer, request: a! }, user.email);
    const atB = await b!('GET', '/api/v1/auth/session', { cookie });
    assert.equal(atB.status, 200, JSON.stringify(atB.body));
    assert.equal(atB.body.data.user.email, user.email);
    for (let i = 0; i < 4; i++) assert.equal((await tc.request('GET', '/api/v1/auth/session', { cookie })).status, 200);
    assert.equal((await b!('POST', '/api/v1/auth/logout', { cookie })).status, 204, 'logged out at B');
    assert.equal((await a!('GET', '/api/v1/auth/session', { cookie })).status, 401, 'and the session is dead at A');
  });

  it('a key revoked through one process fails through the other on the very next request', async () => {
    const [a, b] = nodes();
    const agent = await tc.agentKey();
    const org = (await a!('GET', '/api/v1/me', { key: agent })).body.data.organization.slug;
    const made = (await a!('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'cached everywhere' } })).body.data;
    for (let i = 0; i < 4; i++) assert.equal((await tc.request('GET', '/api/v1/me', { key: made.key })).status, 200, 'cached by both');
    assert.equal((await a!('DELETE', `/api/v1/organizations/${org}/api-keys/${made.id}`, { key: agent })).status, 204);
    assert.equal((await b!('GET', '/api/v1/me', { key: made.key })).status, 401, 'the next request at B fails');
    for (let i = 0; i < 4; i++) assert.equal((await tc.request('GET', '/api/v1/me', { key: made.key })).status, 401, 'and through the balancer');
  });

  it('with the limit at N, N+100 concurrent requests through the balancer (spread over both) admit exactly N', async () => {
    const N = 60;
    const agent = await tc.agentKey();
    const org = (await tc.request('GET', '/api/v1/me', { key: agent })).body.data.organization.slug;
    const made = (await tc.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: agent, body: { name: 'limited' } })).body.data;
    const set = await runFuncspec(['admin', 'org', 'set-plan', org, 'enterprise', '--rate-limit', String(N)], tc.cluster.env);
    assert.equal(set.code, 0, set.stderr);
    const replies = await Promise.all(Array.from({ length: N + 100 }, () => tc.request('GET', '/api/v1/credits/balance', { key: made.key })));
    const admitted = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status !== 200);
    console.log(`# limit ${N}: ${admitted.length} admitted, ${refused.length} refused of ${N + 100} concurrent requests through nginx`);
    assert.equal(admitted.length, N);
    assert.ok(
      refused.every((r) => r.status === 429 && r.body.error_code === 'RATE_LIMITED' && r.headers.get('retry-after')),
      JSON.stringify(refused.find((r) => r.status !== 429)?.body),
    );
    const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((x, y) => x - y);
    assert.deepEqual(
      remaining,
      Array.from({ length: N }, (_, i) => i),
      'each admitted request saw a distinct count',
    );
  });

  it('threat: 50 concurrent wrong agent codes spread over both processes are compared at most 10 times', async () => {
    const email = uniqueEmail();
    assert.equal((await tc.request('POST', '/api/v1/agent/sign-up', { body: { email } })).status, 200);
    const code = codeFrom(await tc.mail.waitFor(email));
    const wrong = (i: number) => String((Number(code) + i) % 1_000_000).padStart(6, '0');
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => tc.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: wrong(i + 1) } })),
    );
    const compared = replies.filter((r) => r.body.error_code === 'OTP_INVALID').length;
    const refused = replies.filter((r) => r.body.error_code === 'OTP_MAX_ATTEMPTS').length;
    console.log(`# 50 wrong codes at once through nginx: ${compared} compared, ${refused} refused unread`);
    assert.equal(compared, 10);
    assert.equal(refused, 40);
    assert.equal(
      (await tc.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } })).body.error_code,
      'OTP_MAX_ATTEMPTS',
      'the right code is refused afterwards',
    );
  });
});
