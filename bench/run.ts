/**
 * `npm run bench [-- sqlite postgres-redis postgres]`: key-authenticated GET /api/v1/credits/balance
 * (key check, rate limit, usage counting, balance) against a bare Fastify route, interleaved in rounds
 * in the same run, under wrk at 50 connections; per database: SQLite, PostgreSQL + Redis, PostgreSQL alone.
 * Also: 1,000,000 keys stored, random unknown keys (database reads counted), password logins per second
 * with the API's p99 during the login storm, and the process's memory idle and across a long load.
 * Results: bench/results/<target>.{json,md} and bench/results/summary.md.
 *
 * Settings: BENCH_SECONDS (10, per run), BENCH_ROUNDS (2), BENCH_KEYS (1000000), BENCH_MEMORY_SECONDS (60),
 * BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_REDIS_URL (redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { hashPassword } from '../src/accounts/password-hashing.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/index.js';
import { generateKey } from '../src/keys/format.js';
import { newId } from '../src/lib/random.js';
import { runFuncspec } from '../test/helpers/operator.js';
import { startServer, type BenchServer } from './servers.js';
import { storeKeys } from './store-keys.js';
import { ensureWrk, loginScript, pacedScript, rotatingKeysScript, wrk, type WrkResult } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const STORED_KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 60);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Only the 1-key rounds (for trying a change quickly); the results files are left alone. */
const QUICK = process.env.BENCH_QUICK === '1';
const CONNECTIONS = 50;
const WARM_UP_SECONDS = 3;
const BALANCE = '/api/v1/credits/balance';
const LOGIN_ACCOUNTS = 200;
const LOGIN_PASSWORD = 'bench-Passw0rd-not-common';

type TargetName = 'sqlite' | 'postgres-redis' | 'postgres';
const TARGETS: Record<TargetName, string> = { sqlite: 'SQLite', 'postgres-redis': 'PostgreSQL + Redis', postgres: 'PostgreSQL alone' };

interface Run extends WrkResult {
  /** Server CPU time per request: what a request costs, whatever else the machine was doing. */
  cpuUsPerRequest: number;
}

interface Round {
  bare: Run;
  app: Run;
  ratio: number;
}

const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function show(label: string, run: Run): void {
  console.log(
    `  ${label.padEnd(40)} ${String(run.requestsPerSecond).padStart(7)} req/s  p50 ${run.p50Ms} ms  p99 ${run.p99Ms} ms  ` +
      `CPU ${run.cpuUsPerRequest} µs/req${run.non2xx ? `  non-2xx ${run.non2xx}` : ''}${run.errors ? `  errors ${run.errors}` : ''}`,
  );
}

async function measure(label: string, server: BenchServer, pathname: string, options: Partial<Parameters<typeof wrk>[1]> = {}): Promise<Run> {
  const before = await server.stats();
  const result = await wrk(`${server.url}${pathname}`, { seconds: SECONDS, connections: CONNECTIONS, ...options });
  const after = await server.stats();
  const run = { ...result, cpuUsPerRequest: +(((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, result.requests)).toFixed(1) };
  show(label, run);
  return run;
}

/** Bare and product, one after the other, ROUNDS times: both see the same machine, whatever else runs on it. */
async function rounds(label: string, bare: BenchServer, app: BenchServer, key: string): Promise<Round[]> {
  await wrk(`${bare.url}/bare`, { seconds: WARM_UP_SECONDS, connections: CONNECTIONS });
  await wrk(`${app.url}${BALANCE}`, { seconds: WARM_UP_SECONDS, connections: CONNECTIONS, headers: { 'x-api-key': key } });
  const result: Round[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const bareRun = await measure(`round ${i}: bare Fastify route`, bare, '/bare');
    const appRun = await measure(`round ${i}: ${label}`, app, BALANCE, { headers: { 'x-api-key': key } });
    result.push({ bare: bareRun, app: appRun, ratio: +(appRun.requestsPerSecond / bareRun.requestsPerSecond).toFixed(3) });
  }
  return result;
}

function summarize(list: Round[]) {
  const total = (pick: (r: Round) => Run) => list.reduce((sum, r) => sum + pick(r).requestsPerSecond, 0);
  const worst = (pick: (r: Round) => Run) => Math.max(...list.map((r) => pick(r).p99Ms));
  const mean = (pick: (r: Round) => Run) => +(list.reduce((sum, r) => sum + pick(r).cpuUsPerRequest, 0) / list.length).toFixed(1);
  return {
    ratio: +(total((r) => r.app) / total((r) => r.bare)).toFixed(3),
    /** Bare route's CPU per request over the product's: the ratio a CPU-bound server would show. */
    cpu_ratio: +(mean((r) => r.bare) / mean((r) => r.app)).toFixed(3),
    bare_rps: Math.round(total((r) => r.bare) / list.length),
    app_rps: Math.round(total((r) => r.app) / list.length),
    bare_p99_ms: worst((r) => r.bare),
    app_p99_ms: worst((r) => r.app),
    bare_cpu_us: mean((r) => r.bare),
    app_cpu_us: mean((r) => r.app),
    rounds: list,
  };
}

async function provisionKey(url: string, dataDir: string, env: Record<string, string>): Promise<string> {
  const email = `bench-${Date.now()}@example.com`;
  const post = (pathname: string, body: unknown) =>
    fetch(`${url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/v1/agent/sign-up', { email });
  const outbox = path.join(dataDir, 'outbox');
  const mail = JSON.parse(readFileSync(path.join(outbox, readdirSync(outbox).sort().pop()!), 'utf8')) as { text: string };
  const code = /\b(\d{6})\b/.exec(mail.text)![1];
  const key = ((await (await post('/api/v1/agent/verify', { email, otp_code: code })).json()) as { api_key: string }).api_key;
  const me = (await (await fetch(`${url}/api/v1/me`, { headers: { 'x-api-key': key } })).json()) as { data: { organization: { slug: string } } };
  // Enterprise with a limit no run reaches: the limiter counts every request, but never refuses one here.
  const plan = await runFuncspec(['admin', 'org', 'set-plan', me.data.organization.slug, 'enterprise', '--rate-limit', '1000000000'], env);
  if (plan.code !== 0) throw new Error(plan.stderr);
  return key;
}

/** Accounts with a verified e-mail and one password (hashed once, at the server's argon2id cost). */
async function provisionLoginAccounts(env: Record<string, string>): Promise<void> {
  const store = openStore(loadConfig(env).database);
  const passwordHash = await hashPassword(LOGIN_PASSWORD);
  const now = Date.now();
  await store.db
    .insertInto('users')
    .values(
      Array.from({ length: LOGIN_ACCOUNTS }, (_, n) => ({
        id: newId('usr'),
        email: `bench-login-${n}@example.com`,
        name: null,
        email_verified_at: now,
        password_hash: passwordHash,
        disabled_at: null,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  await store.close();
}

async function logins(app: BenchServer, key: string) {
  const api = { seconds: SECONDS, connections: 10, headers: { 'x-api-key': key }, script: pacedScript(2) };
  const quiet = await measure('API at a steady pace, no logins', app, BALANCE, api);
  const [during, storm] = await Promise.all([
    measure('API at the same pace, during the storm', app, BALANCE, api),
    wrk(`${app.url}/api/v1/auth/login`, { seconds: SECONDS, connections: 16, script: loginScript(LOGIN_ACCOUNTS, LOGIN_PASSWORD) }),
  ]);
  console.log(`  password logins: ${storm.requestsPerSecond}/s, p50 ${storm.p50Ms} ms, p99 ${storm.p99Ms} ms, non-2xx ${storm.non2xx}`);
  return {
    logins_per_second: storm.requestsPerSecond,
    login_p99_ms: storm.p99Ms,
    login_failures: storm.non2xx + storm.errors,
    api_quiet: quiet,
    api_during_storm: during,
    api_p99_during_vs_quiet: +(during.p99Ms / Math.max(quiet.p99Ms, 0.01)).toFixed(2),
  };
}

async function memoryUnderLoad(app: BenchServer, key: string) {
  const samples: Array<{ second: number; rss_mb: number }> = [];
  const load = wrk(`${app.url}${BALANCE}`, { seconds: MEMORY_SECONDS, connections: CONNECTIONS, headers: { 'x-api-key': key } });
  for (let second = 5; second <= MEMORY_SECONDS; second += 5) {
    await sleep(5_000);
    samples.push({ second, rss_mb: mb((await app.stats()).rss) });
  }
  await load;
  const values = samples.map((s) => s.rss_mb);
  const spread = +((Math.max(...values) - Math.min(...values)) / Math.min(...values)).toFixed(3);
  console.log(`  RSS during ${MEMORY_SECONDS} s of load: ${values.join(', ')} MB (spread ${(spread * 100).toFixed(1)} %)`);
  return { seconds: MEMORY_SECONDS, samples, spread };
}

async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `funcspec_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

async function reachable(target: TargetName): Promise<string | null> {
  if (target === 'sqlite') return null;
  const db = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await db.connect();
    await db.end();
  } catch {
    return `PostgreSQL does not answer at ${POSTGRES_URL} (set BENCH_POSTGRES_URL)`;
  }
  if (target !== 'postgres-redis') return null;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch {
    return `Redis does not answer at ${REDIS_URL} (set BENCH_REDIS_URL)`;
  } finally {
    redis.disconnect();
  }
}

async function benchTarget(target: TargetName) {
  console.log(`\n${TARGETS[target]} (${ROUNDS} rounds of ${SECONDS} s per server, ${CONNECTIONS} connections, load ${loadavg()[0]!.toFixed(2)})`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'funcspec-bench-'));
  const postgres = target === 'sqlite' ? null : await freshPostgres();
  const env: Record<string, string> = {
    DATABASE_URL: postgres?.url ?? `sqlite:${path.join(dataDir, 'funcspec.db')}`,
    FUNCSPEC_DATA_DIR: dataDir,
    FUNCSPEC_SECRET: randomBytes(32).toString('hex'),
    FUNCSPEC_REDIS_PREFIX: `bench${Date.now()}:`,
    // The login storm comes from one address: its per-address throttle would otherwise end it at once.
    FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    ...(target === 'postgres-redis' ? { REDIS_URL } : {}),
  };
  const childEnv = { ...env, SMTP_URL: '', REDIS_URL: env.REDIS_URL ?? '' };
  const bare = await startServer('bare', 'bench/bare-server.mjs', {});
  let app: BenchServer | null = null;
  try {
    app = await startServer('app', 'bench/app-server.mjs', childEnv);
    await sleep(1_000);
    const idle = await app.stats();
    console.log(`  idle: RSS ${mb(idle.rss)} MB, live heap ${mb((await app.stats({ gc: true })).heapUsed)} MB`);
    const key = await provisionKey(app.url, dataDir, env);

    const oneKey = summarize(await rounds('GET /credits/balance, 1 key', bare, app, key));
    if (QUICK) {
      console.log(
        `  => ${oneKey.ratio} of bare (${oneKey.cpu_ratio} by CPU), p99 ${oneKey.app_p99_ms} ms, ${oneKey.app_cpu_us} vs ${oneKey.bare_cpu_us} µs CPU/req`,
      );
      return null;
    }

    const unknownKeys = Array.from({ length: 20_000 }, () => generateKey('live'));
    const readsBefore = (await app.stats()).lookups;
    const unknown = await measure('random unknown keys (401)', app, BALANCE, { script: rotatingKeysScript(unknownKeys) });
    const unknownReads = (await app.stats()).lookups - readsBefore;
    console.log(`  database reads for ${unknown.requests} unknown keys: ${unknownReads}`);

    // Memory before the login storm: its hashing threads (and their 19 MiB each) are gone only after a while.
    const memory = target === 'sqlite' && MEMORY_SECONDS > 0 ? await memoryUnderLoad(app, key) : null;
    let loginResult = null;
    if (target !== 'postgres') {
      await provisionLoginAccounts(env);
      loginResult = await logins(app, key);
    }

    await app.stop();
    app = null;
    const started = Date.now();
    await storeKeys(env, key, STORED_KEYS - 1);
    console.log(`  (stored ${STORED_KEYS.toLocaleString('en')} keys in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    app = await startServer('app', 'bench/app-server.mjs', childEnv);
    const manyKeys = summarize(await rounds(`GET /credits/balance, ${STORED_KEYS.toLocaleString('en')} keys`, bare, app, key));
    const manyIdle = await app.stats({ gc: true });

    return {
      target,
      label: TARGETS[target],
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      load_average: loadavg()[0] ?? 0,
      seconds: SECONDS,
      connections: CONNECTIONS,
      one_key: oneKey,
      many_keys: {
        ...manyKeys,
        stored_keys: STORED_KEYS,
        vs_one_key: +(manyKeys.ratio / oneKey.ratio).toFixed(3),
        vs_one_key_cpu: +(manyKeys.cpu_ratio / oneKey.cpu_ratio).toFixed(3),
        live_heap_mb: mb(manyIdle.heapUsed),
      },
      unknown_keys: { ...unknown, database_reads: unknownReads },
      logins: loginResult,
      memory: { idle_rss_mb: mb(idle.rss), under_load: memory },
    };
  } finally {
    await app?.stop().catch(() => {});
    await bare.stop();
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Report = NonNullable<Awaited<ReturnType<typeof benchTarget>>>;

function targetMarkdown(r: Report): string {
  const row = (label: string, run: Run, ratio: string) =>
    `| ${label} | ${run.requestsPerSecond} | ${run.p50Ms} | ${run.p99Ms} | ${run.cpuUsPerRequest} | ${ratio} |`;
  const lines = [
    `# ${r.label}: ${r.date.slice(0, 10)}, Node ${r.node}, ${r.cpus} CPUs, wrk -t1 -c${r.connections}, ${r.seconds} s per run`,
    '',
    '| run | req/s | p50 ms | p99 ms | server CPU µs/req | vs bare (same round) |',
    '|---|---|---|---|---|---|',
    ...r.one_key.rounds.flatMap((round, i) => [
      row(`round ${i + 1}: bare Fastify`, round.bare, '1'),
      row(`round ${i + 1}: balance, 1 key`, round.app, String(round.ratio)),
    ]),
    ...r.many_keys.rounds.flatMap((round, i) => [
      row(`round ${i + 1}: bare Fastify`, round.bare, '1'),
      row(`round ${i + 1}: balance, ${r.many_keys.stored_keys.toLocaleString('en')} keys`, round.app, String(round.ratio)),
    ]),
    row('random unknown keys (401)', r.unknown_keys, '–'),
    '',
    `- Authenticated balance, 1 key: **${r.one_key.ratio} of bare Fastify** (${r.one_key.app_rps} vs ${r.one_key.bare_rps} req/s), p99 ${r.one_key.app_p99_ms} ms (bare ${r.one_key.bare_p99_ms} ms), ` +
      `${r.one_key.app_cpu_us} vs ${r.one_key.bare_cpu_us} µs of server CPU per request (**${r.one_key.cpu_ratio}** by CPU).`,
    `- ${r.many_keys.stored_keys.toLocaleString('en')} keys stored: ${r.many_keys.ratio} of bare, **${r.many_keys.vs_one_key} of the 1-key ratio** (${r.many_keys.vs_one_key_cpu} by CPU per request); live heap ${r.many_keys.live_heap_mb} MB.`,
    `- Random unknown keys: **${r.unknown_keys.database_reads} database reads** in ${r.unknown_keys.requests} requests.`,
  ];
  if (r.logins) {
    lines.push(
      `- Password logins (argon2id at the server's cost, 16 at a time): **${r.logins.logins_per_second} per second**, p99 ${r.logins.login_p99_ms} ms, ${r.logins.login_failures} failed; ` +
        `API p99 at a steady pace ${r.logins.api_quiet.p99Ms} ms without logins, ${r.logins.api_during_storm.p99Ms} ms during them (**${r.logins.api_p99_during_vs_quiet}×**).`,
    );
  }
  const load = r.memory.under_load;
  lines.push(
    `- Memory: **idle RSS ${r.memory.idle_rss_mb} MB**` +
      (load ? `; during ${load.seconds} s of load ${load.samples.map((s) => s.rss_mb).join(', ')} MB (spread **${(load.spread * 100).toFixed(1)} %**).` : '.'),
    '',
  );
  return lines.join('\n');
}

function summaryMarkdown(reports: Report[]): string {
  const lines = [
    '# Benchmark summary',
    '',
    'Each ratio compares the server with a bare Fastify route measured in the same run, in alternating rounds (wrk -t1 -c50).',
    '',
    '| | balance vs bare (throughput) | by server CPU per request | p99 ms | 1,000,000 keys vs 1 key | unknown keys: DB reads | logins/s | API p99 in a login storm | idle RSS |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of reports) {
    lines.push(
      `| ${r.label} (${r.date.slice(0, 10)}, load ${r.load_average.toFixed(1)}) | ${r.one_key.ratio} | ${r.one_key.cpu_ratio} | ${r.one_key.app_p99_ms} | ${r.many_keys.vs_one_key} (${r.many_keys.vs_one_key_cpu} by CPU) | ${r.unknown_keys.database_reads} | ` +
        `${r.logins?.logins_per_second ?? '–'} | ${r.logins ? `${r.logins.api_p99_during_vs_quiet}× quiet` : '–'} | ${r.memory.idle_rss_mb} MB${r.memory.under_load ? `, ±${(r.memory.under_load.spread * 100).toFixed(0)} % under load` : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  ensureWrk();
  const asked = process.argv.slice(2).filter((a) => a in TARGETS) as TargetName[];
  const targets = asked.length > 0 ? asked : (Object.keys(TARGETS) as TargetName[]);
  for (const target of targets) {
    const missing = await reachable(target);
    if (missing) {
      console.log(`\n${TARGETS[target]}: skipped, ${missing}`);
      continue;
    }
    const report = await benchTarget(target);
    if (!report) continue;
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/${target}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`bench/results/${target}.md`, targetMarkdown(report));
  }
  if (QUICK) return;
  const reports = (Object.keys(TARGETS) as TargetName[]).flatMap((target) => {
    try {
      return [JSON.parse(readFileSync(`bench/results/${target}.json`, 'utf8')) as Report];
    } catch {
      return [];
    }
  });
  writeFileSync('bench/results/summary.md', summaryMarkdown(reports));
  console.log(`\n${summaryMarkdown(reports)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
