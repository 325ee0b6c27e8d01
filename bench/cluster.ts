/**
 * `npm run bench:cluster`: the key-authenticated GET /api/v1/credits/balance through nginx, against one
 * process and against two processes behind it (the cluster harness), on PostgreSQL + Redis, with wrk
 * as the load (50 connections). Needs DATABASE_URL (postgres://…) and REDIS_URL; the database named
 * there is only used to make a fresh one beside it. Results: bench/results/cluster.{json,md}.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { freePort, startCluster, type Cluster } from '../scripts/cluster.js';
import { freshDatabase } from '../test/helpers/databases.js';
import { runFuncspec } from '../test/helpers/operator.js';
import { codeFrom, MailTrap } from '../test/helpers/mailtrap.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;

interface Run {
  processes: number;
  metrics: boolean;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

function wrk(url: string, key: string): Omit<Run, 'processes' | 'metrics'> {
  const result = spawnSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-H', `x-api-key: ${key}`, url], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed (Debian: apt-get install wrk): ${result.stderr || result.error}`);
  const out = result.stdout;
  const ms = (label: string) => {
    const match = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  return {
    requestsPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)),
    p50Ms: ms('50'),
    p99Ms: ms('99'),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
  };
}

async function agentKey(cluster: Cluster, mail: MailTrap): Promise<string> {
  const email = `bench-${Date.now()}@example.com`;
  const post = (path: string, body: unknown) =>
    fetch(`${cluster.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/v1/agent/sign-up', { email });
  const verify = await post('/api/v1/agent/verify', { email, otp_code: codeFrom(await mail.waitFor(email)) });
  return ((await verify.json()) as { api_key: string }).api_key;
}

async function measure(processes: number, metrics = false): Promise<Run> {
  const database = await freshDatabase(process.env.DATABASE_URL);
  const mail = await new MailTrap().start();
  const cluster = await startCluster({
    processes,
    databaseUrl: database.url,
    redisUrl: process.env.REDIS_URL,
    env: {
      SMTP_URL: mail.url,
      LOG_LEVEL: 'warn',
      FUNCSPEC_REDIS_PREFIX: `bench${Date.now()}:`,
      ...(metrics ? { FUNCSPEC_METRICS_PORT: String(await freePort()) } : {}),
    },
  });
  try {
    const key = await agentKey(cluster, mail);
    const me = (await (await fetch(`${cluster.url}/api/v1/me`, { headers: { 'x-api-key': key } })).json()) as { data: { organization: { slug: string } } };
    const plan = await runFuncspec(['admin', 'org', 'set-plan', me.data.organization.slug, 'enterprise', '--rate-limit', '1000000000'], cluster.env);
    if (plan.code !== 0) throw new Error(plan.stderr);
    const url = `${cluster.url}/api/v1/credits/balance`;
    wrk(url, key); // warm-up: JIT, caches, upstream keep-alive connections
    const run = { processes, metrics, ...wrk(url, key) };
    console.log(
      `${processes} process${processes > 1 ? 'es' : ''} behind nginx${metrics ? ', metrics on' : ''}: ${run.requestsPerSecond} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, non-2xx ${run.non2xx}`,
    );
    return run;
  } finally {
    await cluster.stop();
    await mail.close();
    await database.drop();
  }
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL?.startsWith('postgres') || !process.env.REDIS_URL) {
    console.error('bench:cluster needs DATABASE_URL=postgres://… and REDIS_URL=redis://…');
    process.exit(2);
  }
  console.log(`FuncSpec cluster bench: wrk, ${CONNECTIONS} connections, ${SECONDS} s per run, PostgreSQL + Redis, nginx round-robin\n`);
  const runs = [await measure(1), await measure(1, true), await measure(2)];
  const [one, withMetrics, two] = runs as [Run, Run, Run];
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    seconds: SECONDS,
    runs,
    two_vs_one: +(two.requestsPerSecond / one.requestsPerSecond).toFixed(2),
    metrics_vs_none: +(withMetrics.requestsPerSecond / one.requestsPerSecond).toFixed(2),
  };
  const md = [
    `# Cluster benchmark (${report.date.slice(0, 10)}, Node ${report.node}, PostgreSQL + Redis, nginx, wrk ${CONNECTIONS} connections, ${SECONDS} s)`,
    '',
    '| processes behind nginx | metrics | req/s | p50 ms | p99 ms | non-2xx |',
    '|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.processes} | ${r.metrics ? 'on' : 'off'} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} |`),
    '',
    `Two processes serve ${report.two_vs_one}× what one does on this machine (nginx, PostgreSQL, Redis, wrk and the servers share its cores).`,
    `With FUNCSPEC_METRICS_PORT set, one process serves ${report.metrics_vs_none}× what it does without metrics.`,
    '',
  ].join('\n');
  writeFileSync('bench/results/cluster.json', `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync('bench/results/cluster.md', md);
  console.log(`\n${md}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
