/**
 * Faults under a steady load through nginx: the private Redis, then the private PostgreSQL, of a
 * two-process cluster is stopped for two seconds and started again. While it is away every answer is
 * a 2xx (served from a cache) or 503 with Retry-After, never a 500 or a hang; /readyz says so; no key
 * is admitted over its limit and no revoked key is accepted; afterwards the processes recover by
 * themselves. Needs PostgreSQL's server binaries and redis-server (it starts its own instances, on the
 * PostgreSQL + Redis run; on the SQLite run it skips).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nginxInstalled } from '../scripts/cluster.js';
import { usingPostgres } from './helpers/databases.js';
import { client, type Reply } from './helpers/http.js';
import { percentile, startLoad, tally, type Sample, type Step } from './helpers/load.js';
import { runFuncspec } from './helpers/operator.js';
import {
  postgresServerInstalled,
  redisServerInstalled,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from './helpers/services.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const skip = !usingPostgres
  ? 'runs on the PostgreSQL + Redis run'
  : !postgresServerInstalled() || !redisServerInstalled() || !nginxInstalled()
    ? 'needs PostgreSQL server binaries, redis-server and nginx'
    : false;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The longest a request may wait on a dependency (database connect 5 s + statement 10 s), as the README says. */
const LONGEST_WAIT_MS = 15_000;
const OUTAGE_MS = 2_000;
const LIMIT = 200;

describe('cluster faults: Redis and PostgreSQL restarted mid-traffic', { skip }, () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let tc: TestCluster;
  let busyKey: string;
  let revokedKey: string;
  let itemsPath: string;
  let limitedOrg: string;
  let limitedOwner: string;

  before(async () => {
    postgres = await startPrivatePostgres();
    redis = await startPrivateRedis({ persistent: true });
    tc = await startTestCluster({ processes: 2, postgresUrl: postgres.url, redisUrl: redis.url, env: { FUNCSPEC_USAGE_FLUSH_INTERVAL: '1s' } });
    busyKey = await tc.agentKey();
    const org = (await tc.request('GET', '/api/v1/me', { key: busyKey })).body.data.organization.slug;
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', org, 'enterprise', '--rate-limit', '1000000'], tc.cluster.env)).code, 0);
    const project = await tc.request('POST', '/api/v1/projects', { key: busyKey, body: { name: 'Faults' } });
    itemsPath = `/api/v1/projects/${project.body.data.id}/spec/items`;
    const doomed = (await tc.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: busyKey, body: { name: 'revoked before the faults' } })).body.data;
    for (let i = 0; i < 4; i++) await tc.request('GET', '/api/v1/me', { key: doomed.key }); // cached by both
    assert.equal((await tc.request('DELETE', `/api/v1/organizations/${org}/api-keys/${doomed.id}`, { key: busyKey })).status, 204);
    revokedKey = doomed.key;
    limitedOwner = await tc.agentKey();
    limitedOrg = (await tc.request('GET', '/api/v1/me', { key: limitedOwner })).body.data.organization.slug;
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', limitedOrg, 'enterprise', '--rate-limit', String(LIMIT)], tc.cluster.env)).code, 0);
  });
  after(async () => {
    await tc?.close();
    await redis?.close();
    await postgres?.close();
  });

  /** Every kind of request the load sends, each answer checked against what it may be. */
  async function steadyLoad(limitedKey: string) {
    const at = (i: number) => client(tc.cluster.nodes[i % tc.cluster.nodes.length]!.url);
    let n = 0;
    const steps: Step[] = [
      async () => ({ kind: 'balance', reply: await tc.request('GET', '/api/v1/credits/balance', { key: busyKey, signal: AbortSignal.timeout(30_000) }) }),
      async () => ({ kind: 'items read', reply: await tc.request('GET', `${itemsPath}?per=5`, { key: busyKey, signal: AbortSignal.timeout(30_000) }) }),
      async () => ({
        kind: 'create',
        reply: await tc.request('POST', itemsPath, { key: busyKey, body: { type_of: 'technical', title: `load ${n++}` }, signal: AbortSignal.timeout(30_000) }),
      }),
      async () => ({ kind: 'limited', reply: await tc.request('GET', '/api/v1/me', { key: limitedKey, signal: AbortSignal.timeout(30_000) }) }),
      async () => ({ kind: 'revoked', reply: await tc.request('GET', '/api/v1/me', { key: revokedKey, signal: AbortSignal.timeout(30_000) }) }),
      async () => {
        const reply = await at(n++)('GET', '/readyz', { signal: AbortSignal.timeout(30_000) });
        await pause(50);
        return { kind: 'readyz', reply };
      },
    ];
    return startLoad(steps);
  }

  function isAllowed(sample: Sample): boolean {
    if (sample.status >= 200 && sample.status < 300) return true;
    if (sample.status === 503) return sample.errorCode === 'SERVICE_UNAVAILABLE' && sample.retryAfter !== null;
    if (sample.kind === 'revoked') return sample.status === 401 && sample.errorCode === 'INVALID_API_KEY';
    if (sample.kind === 'limited') return sample.status === 429 && sample.errorCode === 'RATE_LIMITED';
    return false;
  }

  /** Stops the dependency for two seconds mid-load; returns what the load saw and when. */
  async function outage(name: string, stop: () => Promise<void>, start: () => Promise<void>) {
    const limited = (await tc.request('POST', `/api/v1/organizations/${limitedOrg}/api-keys`, { key: limitedOwner, body: { name: `limited during ${name}` } }))
      .body.data.key as string;
    const load = await steadyLoad(limited);
    await pause(2_000);
    const stoppingAt = load.now();
    await stop();
    const downAt = load.now();
    await pause(OUTAGE_MS);
    const startingAt = load.now();
    await start();
    const upAt = load.now();
    // Until every kind answers as before the fault (or 20 s, which fails below).
    const kinds = ['balance', 'items read', 'create', 'readyz'];
    let recoveredAt = -1;
    while (load.now() - upAt < 20_000) {
      await pause(100);
      const recent = load.samples.filter((s) => s.at > load.now() - 1_000);
      const latest = kinds.map((kind) => recent.filter((s) => s.kind === kind));
      if (latest.every((list) => list.length > 0 && list.every((s) => s.status >= 200 && s.status < 300))) {
        recoveredAt = Math.min(...latest.flat().map((s) => s.at));
        break;
      }
    }
    await pause(1_000);
    await load.stop();
    const samples = load.samples;
    const unavailable = samples.filter((s) => s.status === 503);
    const windowStart = unavailable.length ? Math.min(...unavailable.map((s) => s.at)) : 0;
    const windowEnd = unavailable.length ? Math.max(...unavailable.map((s) => s.at + s.ms)) : 0;
    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    console.log(
      `# ${name}: stopped in ${seconds(downAt - stoppingAt)} s, down ${seconds(startingAt - downAt)} s, started in ${seconds(upAt - startingAt)} s; ` +
        `error window ${seconds(windowEnd - windowStart)} s (503s from ${seconds(windowStart - stoppingAt)} s after the stop began); ` +
        `${recoveredAt < 0 ? 'never recovered' : `last 503 answered ${seconds(Math.max(0, windowEnd - upAt))} s after it was back, no restart`}; ${samples.length} requests, p99 ${percentile(
          samples.map((s) => s.ms),
          0.99,
        )} ms, ` +
        `slowest ${Math.max(...samples.map((s) => s.ms))} ms; ${JSON.stringify(tally(samples))}`,
    );
    return { samples, downAt, startingAt, upAt, recoveredAt, limited };
  }

  function assertNoWrongAnswers(samples: Sample[]) {
    const wrong = samples.filter((s) => !isAllowed(s));
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} answers were neither 2xx nor 503 with Retry-After (nor the key's own 401/429)`);
    assert.equal(samples.filter((s) => s.kind === 'revoked' && s.status === 200).length, 0, 'the revoked key was never accepted');
    assert.ok(samples.filter((s) => s.kind === 'limited' && s.status === 200).length <= LIMIT, 'no request admitted over the limit');
    assert.ok(Math.max(...samples.map((s) => s.ms)) < LONGEST_WAIT_MS, 'no request waited past the documented timeout');
  }

  async function assertLimitExact(limitedKey: string, samples: Sample[]) {
    // Spend what is left of the limit: exactly LIMIT admitted in all, the next refused.
    let admitted = samples.filter((s) => s.kind === 'limited' && s.status === 200).length;
    let reply: Reply;
    for (;;) {
      reply = await tc.request('GET', '/api/v1/me', { key: limitedKey });
      if (reply.status !== 200) break;
      admitted++;
    }
    assert.equal(reply.status, 429);
    assert.equal(admitted, LIMIT, 'the limit counted every admitted request across the outage');
  }

  it('Redis restarted mid-traffic: key checks and limits fail closed (503, Retry-After), /readyz tells, and it recovers by itself', async () => {
    const { samples, downAt, startingAt, recoveredAt, limited } = await outage(
      'Redis restart',
      () => redis.stop('SIGTERM'),
      () => redis.start(),
    );
    assertNoWrongAnswers(samples);
    const whileDown = samples.filter((s) => s.at >= downAt + 100 && s.at + s.ms <= startingAt);
    for (const kind of ['balance', 'items read', 'create', 'limited']) {
      const seen = whileDown.filter((s) => s.kind === kind);
      assert.ok(
        seen.length > 0 && seen.every((s) => s.status === 503),
        `${kind}: every key-authenticated answer while Redis is away is 503 (${JSON.stringify(tally(seen))})`,
      );
    }
    // A revoked key needs no counter to be refused: the database says so, Redis or not.
    const revoked = whileDown.filter((s) => s.kind === 'revoked');
    assert.ok(
      revoked.length > 0 && revoked.every((s) => s.status === 503 || s.status === 401),
      `revoked: 401 or 503 while Redis is away (${JSON.stringify(tally(revoked))})`,
    );
    const ready = whileDown.filter((s) => s.kind === 'readyz');
    assert.ok(ready.length > 0 && ready.every((s) => s.status === 503), '/readyz is 503 while Redis is away');
    assert.ok(recoveredAt > 0, 'every kind of request succeeds again without a restart');
    await assertLimitExact(limited, samples);
    const detail = await client(tc.cluster.nodes[0]!.url)('GET', '/readyz');
    assert.equal(detail.status, 200);
  });

  it('a Redis that hangs (SIGSTOP) holds no request: key-authenticated answers are 503 within two 2 s command timeouts', async () => {
    const key = busyKey;
    assert.equal((await tc.request('GET', '/api/v1/me', { key })).status, 200);
    redis.freeze();
    try {
      const started = Date.now();
      const replies = await Promise.all(Array.from({ length: 4 }, () => tc.request('GET', '/api/v1/me', { key, signal: AbortSignal.timeout(20_000) })));
      const waited = Date.now() - started;
      console.log(`# Redis frozen: ${replies.map((r) => r.status).join(', ')} after ${waited} ms`);
      assert.ok(
        replies.every((r) => r.status === 503 && r.headers.get('retry-after') === '1'),
        JSON.stringify(replies.map((r) => r.body)),
      );
      assert.ok(waited < 5_000, `answered within the command timeout (${waited} ms)`);
    } finally {
      redis.thaw();
    }
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await pause(100);
      status = (await tc.request('GET', '/api/v1/me', { key })).status;
    }
    assert.equal(status, 200, 'serves again once Redis answers');
  });

  it('PostgreSQL restarted mid-traffic: answers are 2xx from a cache or 503 with Retry-After, never 500, and it recovers by itself', async () => {
    const { samples, downAt, startingAt, recoveredAt, limited } = await outage(
      'PostgreSQL restart',
      () => postgres.stop(),
      () => postgres.start(),
    );
    assertNoWrongAnswers(samples);
    assert.equal(samples.filter((s) => s.status === 500).length, 0, 'never 500');
    const whileDown = samples.filter((s) => s.at >= downAt + 100 && s.at + s.ms <= startingAt);
    for (const kind of ['items read', 'create', 'readyz']) {
      const seen = whileDown.filter((s) => s.kind === kind);
      assert.ok(seen.length > 0 && seen.every((s) => s.status === 503), `${kind}: 503 while PostgreSQL is away (${JSON.stringify(tally(seen))})`);
    }
    const balance = whileDown.filter((s) => s.kind === 'balance');
    console.log(`# while PostgreSQL was away, the cached balance route answered ${JSON.stringify(tally(balance))}`);
    const readyBody = await (async () => {
      await postgres.stop();
      try {
        return (await client(tc.cluster.nodes[1]!.url)('GET', '/readyz')).body;
      } finally {
        await postgres.start();
      }
    })();
    assert.deepEqual(readyBody.details.checks, { database: 'unavailable', redis: 'ok' }, '/readyz names the dependency');
    assert.ok(recoveredAt > 0, 'every kind of request succeeds again without a restart');
    await assertLimitExact(limited, samples);
  });
});
