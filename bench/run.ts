/**
 * `npm run bench`: key-authenticated GET /api/v1/credits/balance against a bare Fastify route measured
 * in the same run, at 50 connections: with 1 key stored, with 1,000,000 keys stored, and a stream of
 * random well-formed unknown keys (database reads and memory watched). SQLite by default; set
 * DATABASE_URL (+ REDIS_URL) to measure PostgreSQL (+ Redis). Results: bench/results/<database>[-redis].{json,md}.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import SqliteDatabase from 'better-sqlite3';
import { openStore } from '../src/db/index.js';
import { generateKey, hashKey } from '../src/keys/format.js';
import { newId } from '../src/lib/random.js';
import { freePort } from '../test/helpers/process.js';
import { runFuncspec } from '../test/helpers/operator.js';
import { loadConfig } from '../src/config.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const STORED_KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);

interface Stats {
  rss: number;
  /** The app server's live heap after a full collection (the bare server reports 0). */
  heapUsed: number;
  lookups: number;
  /** CPU time the server process used so far (user + system). */
  cpuMs: number;
}

interface Server {
  url: string;
  child: ChildProcess;
  stats(): Promise<Stats>;
  stop(): Promise<void>;
}

async function startProcess(script: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = fork(script, [], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const ask = () =>
    new Promise<Stats>((resolve) => {
      child.once('message', (m) => resolve(m as Stats));
      child.send('stats');
    });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stats: ask,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Measure {
  name: string;
  requestsPerSecond: number;
  p99Ms: number;
  p50Ms: number;
  non2xx: number;
  errors: number;
  /** Server CPU per request: what the route costs, whatever the load generator could push. */
  serverCpuUsPerRequest: number;
}

async function load(name: string, server: Server, path: string, options: Partial<autocannon.Options> = {}): Promise<Measure> {
  const url = `${server.url}${path}`;
  // A short warm-up (JIT, caches, connections), then the measured run.
  await autocannon({ url, connections: CONNECTIONS, duration: 2, ...options });
  const before = await server.stats();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...options });
  const after = await server.stats();
  const measure = {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p99Ms: result.latency.p99,
    p50Ms: result.latency.p50,
    non2xx: result.non2xx,
    errors: result.errors,
    serverCpuUsPerRequest: Math.round(((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, result.requests.total)),
  };
  console.log(
    `${name.padEnd(44)} ${String(measure.requestsPerSecond).padStart(7)} req/s   p50 ${measure.p50Ms} ms   p99 ${measure.p99Ms} ms   ` +
      `server CPU ${measure.serverCpuUsPerRequest} µs/req   non-2xx ${measure.non2xx}`,
  );
  return measure;
}

async function getKey(url: string, dataDir: string): Promise<string> {
  const email = `bench-${Date.now()}@example.com`;
  await fetch(`${url}/api/v1/agent/sign-up`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
  const outbox = path.join(dataDir, 'outbox');
  const mail = JSON.parse(readFileSync(path.join(outbox, readdirSync(outbox).sort().pop()!), 'utf8')) as { text: string };
  const code = /\b(\d{6})\b/.exec(mail.text)![1];
  const verify = await fetch(`${url}/api/v1/agent/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, otp_code: code }) });
  return ((await verify.json()) as { api_key: string }).api_key;
}

/** Stores `count` more keys (random hashes) in the organization of `key`, straight into the database. */
async function storeKeys(env: Record<string, string>, key: string, count: number): Promise<void> {
  const store = openStore(loadConfig(env).database);
  const owner = await store.db.selectFrom('api_keys').select(['org_id', 'user_id']).where('key_hash', '=', hashKey(key)).executeTakeFirstOrThrow();
  const now = Date.now();
  const row = () => ({
    id: newId('key'), org_id: owner.org_id, user_id: owner.user_id, name: 'bench', kind: 'user' as const,
    key_hash: randomBytes(32).toString('hex'), last_four: 'abcd', sealed_key: null, allowed_ips: null,
    created_by: owner.user_id, created_at: now, expires_at: null, revoked_at: null, last_used_at: null, last_used_ip: null,
  });
  const target = loadConfig(env).database;
  if (target.kind === 'sqlite') {
    await store.close();
    // One prepared insert in one transaction: a million rows in seconds.
    const sqlite = new SqliteDatabase(target.path);
    const insert = sqlite.prepare(
      'insert into api_keys (id, org_id, user_id, name, kind, key_hash, last_four, sealed_key, allowed_ips, created_by, created_at, expires_at, revoked_at, last_used_at, last_used_ip) ' +
        'values (@id, @org_id, @user_id, @name, @kind, @key_hash, @last_four, @sealed_key, @allowed_ips, @created_by, @created_at, @expires_at, @revoked_at, @last_used_at, @last_used_ip)',
    );
    sqlite.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(row());
    })();
    sqlite.close();
    return;
  }
  for (let done = 0; done < count; done += 1_000) {
    await store.db.insertInto('api_keys').values(Array.from({ length: Math.min(1_000, count - done) }, row)).execute();
  }
  await store.close();
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'funcspec-bench-'));
  const env: Record<string, string> = {
    DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'funcspec.db')}`,
    FUNCSPEC_DATA_DIR: dataDir,
    FUNCSPEC_SECRET: process.env.FUNCSPEC_SECRET ?? randomBytes(32).toString('hex'),
    FUNCSPEC_REDIS_PREFIX: `bench${Date.now()}:`,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  delete process.env.SMTP_URL;
  console.log(`FuncSpec bench: ${CONNECTIONS} connections, ${DURATION} s per run, database ${env.DATABASE_URL!.split(':')[0]}${env.REDIS_URL ? ' + Redis' : ''}\n`);

  const bare = await startProcess('bench/bare-server.mjs', {});
  const bareResult = await load('bare Fastify route', bare, '/bare');
  await bare.stop();

  let app = await startProcess('bench/app-server.mjs', env);
  const key = await getKey(app.url, dataDir);
  const me = (await (await fetch(`${app.url}/api/v1/me`, { headers: { 'x-api-key': key } })).json()) as { data: { organization: { slug: string } } };
  const plan = await runFuncspec(['admin', 'org', 'set-plan', me.data.organization.slug, 'enterprise', '--rate-limit', '1000000000'], { ...env });
  if (plan.code !== 0) throw new Error(plan.stderr);
  const headers = { 'x-api-key': key };
  const oneKey = await load('GET /credits/balance, 1 key stored', app, '/api/v1/credits/balance', { headers });
  await app.stop();

  const started = Date.now();
  await storeKeys(env, key, STORED_KEYS - 1);
  console.log(`(stored ${STORED_KEYS.toLocaleString('en')} keys in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  app = await startProcess('bench/app-server.mjs', env);
  const manyKeys = await load(`GET /credits/balance, ${STORED_KEYS.toLocaleString('en')} keys stored`, app, '/api/v1/credits/balance', { headers });

  const unknownKeys = Array.from({ length: 200_000 }, () => generateKey('live'));
  let next = 0;
  const before = await app.stats();
  const unknown = await load('random well-formed unknown keys (401)', app, '/api/v1/credits/balance', {
    requests: [
      {
        setupRequest: (request: autocannon.Request) => {
          request.headers = { ...request.headers, 'x-api-key': unknownKeys[next++ % unknownKeys.length]! };
          return request;
        },
      },
    ],
  });
  const afterStats = await app.stats();
  await app.stop();

  const ratio = (m: Measure) => ({
    throughput_vs_bare: +(m.requestsPerSecond / bareResult.requestsPerSecond).toFixed(3),
    p99_vs_bare: +(m.p99Ms / Math.max(bareResult.p99Ms, 1)).toFixed(2),
  });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    database: env.DATABASE_URL!.split(':')[0],
    redis: Boolean(env.REDIS_URL),
    connections: CONNECTIONS,
    seconds: DURATION,
    bare: bareResult,
    one_key: { ...oneKey, ...ratio(oneKey) },
    many_keys: { ...manyKeys, ...ratio(manyKeys), stored_keys: STORED_KEYS, vs_one_key: +(manyKeys.requestsPerSecond / oneKey.requestsPerSecond).toFixed(3) },
    unknown_keys: {
      ...unknown,
      ...ratio(unknown),
      database_reads: afterStats.lookups - before.lookups,
      requests: Math.round(unknown.requestsPerSecond * DURATION),
      rss_before_mb: +(before.rss / 2 ** 20).toFixed(1),
      rss_after_mb: +(afterStats.rss / 2 ** 20).toFixed(1),
      heap_before_mb: +(before.heapUsed / 2 ** 20).toFixed(1),
      heap_after_mb: +(afterStats.heapUsed / 2 ** 20).toFixed(1),
    },
  };
  const md = [
    `# Benchmark (${report.date.slice(0, 10)}, Node ${report.node}, ${report.database}${report.redis ? ' + Redis' : ''}, ${CONNECTIONS} connections, ${DURATION} s)`,
    '',
    '| run | req/s | p50 ms | p99 ms | server CPU µs/req | throughput vs bare | p99 vs bare |',
    '|---|---|---|---|---|---|---|',
    `| bare Fastify route | ${bareResult.requestsPerSecond} | ${bareResult.p50Ms} | ${bareResult.p99Ms} | ${bareResult.serverCpuUsPerRequest} | 1 | 1 |`,
    `| GET /credits/balance, 1 key | ${oneKey.requestsPerSecond} | ${oneKey.p50Ms} | ${oneKey.p99Ms} | ${oneKey.serverCpuUsPerRequest} | ${report.one_key.throughput_vs_bare} | ${report.one_key.p99_vs_bare} |`,
    `| GET /credits/balance, ${STORED_KEYS.toLocaleString('en')} keys | ${manyKeys.requestsPerSecond} | ${manyKeys.p50Ms} | ${manyKeys.p99Ms} | ${manyKeys.serverCpuUsPerRequest} | ${report.many_keys.throughput_vs_bare} | ${report.many_keys.p99_vs_bare} |`,
    `| unknown keys → 401 | ${unknown.requestsPerSecond} | ${unknown.p50Ms} | ${unknown.p99Ms} | ${unknown.serverCpuUsPerRequest} | ${report.unknown_keys.throughput_vs_bare} | ${report.unknown_keys.p99_vs_bare} |`,
    '',
    `${STORED_KEYS.toLocaleString('en')} keys vs 1 key: ${report.many_keys.vs_one_key} of the throughput.`,
    `Unknown keys: ${report.unknown_keys.database_reads} database reads for about ${report.unknown_keys.requests} requests; RSS ${report.unknown_keys.rss_before_mb} MB before, ${report.unknown_keys.rss_after_mb} MB after; ` +
      `live heap (after a full GC) ${report.unknown_keys.heap_before_mb} MB before, ${report.unknown_keys.heap_after_mb} MB after.`,
    '',
  ].join('\n');
  const name = `${report.database}${report.redis ? '-redis' : ''}`;
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`bench/results/${name}.md`, md);
  console.log(`\n${md}`);
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
