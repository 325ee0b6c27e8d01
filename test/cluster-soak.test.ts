/**
 * A bounded soak through the balancer: two processes on PostgreSQL + Redis behind nginx take two
 * minutes (SOAK_SECONDS) of mixed reads, writes, password logins and agent sign-ups. Zero 5xx, the
 * p99 reported, and no process's resident memory grows more than 10 % over its level after warm-up
 * (levels are 30-s means: RSS swings with garbage collection and the 19 MiB buffers of password hashes).
 * Needs PostgreSQL and Redis (the PostgreSQL + Redis run); on the SQLite run it skips.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nginxInstalled } from '../scripts/cluster.js';
import { GOOD_PASSWORD, sessionCookieOf, verifiedUser } from './helpers/accounts.js';
import { usingPostgres } from './helpers/databases.js';
import { percentile, startLoad, tally, type Step } from './helpers/load.js';
import { runFuncspec } from './helpers/operator.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';
import { uniqueEmail } from './helpers/server.js';

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 120) * 1000;
const WARM_UP_MS = Math.min(30_000, SOAK_MS / 4);
const skip = !usingPostgres || !process.env.REDIS_URL ? 'needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)' : !nginxInstalled() ? 'needs nginx' : false;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster soak: mixed traffic through nginx for a bounded time', { skip }, () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({
      processes: 2,
      redisUrl: process.env.REDIS_URL,
      env: {
        // Every request comes from this one machine: the per-IP throttles would otherwise be the test.
        FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
        FUNCSPEC_AGENT_SIGNUPS_PER_IP: '1000000',
        FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000000',
      },
    });
  });
  after(async () => {
    await tc?.close();
  });

  it(`${SOAK_MS / 1000} s of reads, writes, logins and agent sign-ups: zero 5xx, p99 reported, RSS no more than 10 % above its level after warm-up`, async () => {
    const key = await tc.agentKey();
    const org = (await tc.request('GET', '/api/v1/me', { key })).body.data.organization.slug;
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', org, 'enterprise', '--rate-limit', '100000000'], tc.cluster.env)).code, 0);
    const project = (await tc.request('POST', '/api/v1/projects', { key, body: { name: 'Soak' } })).body.data;
    const items = `/api/v1/projects/${project.id}/spec/items`;
    const person = await verifiedUser(tc.asServer);
    let n = 0;
    const steps: Step[] = [
      async () => ({ kind: 'balance', reply: await tc.request('GET', '/api/v1/credits/balance', { key }) }),
      async () => ({ kind: 'me', reply: await tc.request('GET', '/api/v1/me', { key }) }),
      async () => ({ kind: 'list items', reply: await tc.request('GET', `${items}?per=20&sort=-updated_at`, { key }) }),
      async () => ({
        kind: 'create item',
        reply: await tc.request('POST', items, { key, body: { type_of: n % 2 ? 'functional' : 'technical', title: `soak ${n++}`, tags: ['soak'] } }),
      }),
      async () => {
        const list = await tc.request('GET', `${items}?per=1`, { key });
        const item = list.body.data?.[0];
        if (!item) return { kind: 'update item', reply: list };
        const reply = await tc.request('PATCH', `${items}/${item.id}`, { key, body: { priority: 'high', description: `touched ${n++}` } });
        return { kind: 'update item', reply };
      },
      async () => {
        const login = await tc.request('POST', '/api/v1/auth/login', { body: { email: person.email, password: GOOD_PASSWORD } });
        if (login.status !== 200) return { kind: 'login', reply: login };
        const cookie = sessionCookieOf(login);
        await tc.request('GET', '/api/v1/auth/session', { cookie });
        return { kind: 'login', reply: await tc.request('POST', '/api/v1/auth/logout', { cookie }) };
      },
      async () => ({ kind: 'agent sign-up', reply: await tc.request('POST', '/api/v1/agent/sign-up', { body: { email: uniqueEmail('soak') } }) }),
    ];
    const load = startLoad(steps);
    const rss: Array<{ at: number; bytes: number[] }> = [];
    while (load.now() < SOAK_MS) {
      await pause(2_000);
      rss.push({ at: load.now(), bytes: tc.cluster.nodes.map((node) => node.rssBytes()) });
    }
    await load.stop();

    const samples = load.samples;
    const steady = samples.filter((s) => s.at >= WARM_UP_MS);
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    // RSS swings with garbage collection and the password hashes' 19 MiB buffers, so levels are means
    // over 30 s: right after warm-up, and at the end. Drift between them would be a leak.
    const WINDOW_MS = Math.min(30_000, (SOAK_MS - WARM_UP_MS) / 3);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const levelAt = (from: number, to: number) => tc.cluster.nodes.map((_, i) => mean(rss.filter((r) => r.at >= from && r.at < to).map((r) => r.bytes[i]!)));
    const warm = levelAt(WARM_UP_MS, WARM_UP_MS + WINDOW_MS);
    const end = levelAt(SOAK_MS - WINDOW_MS, Infinity);
    const range = (i: number) => rss.filter((r) => r.at >= WARM_UP_MS).map((r) => r.bytes[i]!);
    const byKind = Object.fromEntries(
      [...new Set(steady.map((s) => s.kind))].map((kind) => [
        kind,
        percentile(
          steady.filter((s) => s.kind === kind).map((s) => s.ms),
          0.99,
        ),
      ]),
    );
    console.log(
      `# soak ${SOAK_MS / 1000} s through nginx to 2 processes: ${samples.length} requests (${(samples.length / (SOAK_MS / 1000)).toFixed(0)}/s), ` +
        `p50 ${percentile(
          steady.map((s) => s.ms),
          0.5,
        )} ms, p99 ${percentile(
          steady.map((s) => s.ms),
          0.99,
        )} ms after warm-up; p99 by kind ${JSON.stringify(byKind)}; ${JSON.stringify(tally(samples))}`,
    );
    for (const i of tc.cluster.nodes.keys()) {
      console.log(
        `# process ${i + 1} RSS: mean ${mb(warm[i]!)} MB over the ${WINDOW_MS / 1000} s after warm-up (${WARM_UP_MS / 1000} s), mean ${mb(end[i]!)} MB over the last ${WINDOW_MS / 1000} s ` +
          `(${(((end[i]! - warm[i]!) / warm[i]!) * 100).toFixed(1)} %); swings between ${mb(Math.min(...range(i)))} and ${mb(Math.max(...range(i)))} MB`,
      );
    }
    const failures = samples.filter((s) => s.status === 0 || s.status >= 500);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} answers were 5xx or no answer`);
    assert.ok(
      samples.every((s) => s.status < 400),
      `every request succeeds: ${JSON.stringify(tally(samples.filter((s) => s.status >= 400)))}`,
    );
    tc.cluster.nodes.forEach((_, i) => {
      // Growth is what a leak looks like; memory given back (the hash buffers returned to the system) is not.
      assert.ok(end[i]! <= warm[i]! * 1.1, `process ${i + 1}: RSS at the end at most 10 % above its level after warm-up (${mb(warm[i]!)} → ${mb(end[i]!)} MB)`);
    });
  });
});
