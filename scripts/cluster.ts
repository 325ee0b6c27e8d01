/**
 * The cluster harness: N `funcspec serve` processes behind nginx (round-robin on 127.0.0.1), all on
 * one database (and Redis when given), started and stopped cleanly. The tests and `npm run bench`
 * use it; an operator can try a deployment with it:
 *
 *   node --import tsx scripts/cluster.ts --processes 3 --database-url postgres://… --redis-url redis://… [--port 8080]
 *
 * It renders deploy/nginx.conf (the file shipped for real deployments) for its ports, and needs the
 * `nginx` binary (Debian: apt-get install nginx-light) and a built dist/ (npm run build).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin/funcspec.js');
export const NGINX_TEMPLATE = path.join(ROOT, 'deploy/nginx.conf');
const NGINX = process.env.NGINX_BIN ?? 'nginx';

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resident memory of the process now, from /proc (Linux). */
  rssBytes(): number;
}

/** `funcspec serve` as a separate process (on `port`, else a free one), ready when /healthz answers. */
export async function spawnServer(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env, PORT: String(listenPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${listenPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${output}`);
    }
    await pause(100);
  }
  const rssBytes = () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  };
  return { url, port: listenPort, child, output: () => output, exited, rssBytes };
}

/** Stops a server process: SIGTERM (it drains), SIGKILL if it has not exited within `graceMs`. */
export async function stopServer(server: ServerProcess, graceMs = 15_000): Promise<number | string> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  const result = await server.exited;
  clearTimeout(timer);
  return result;
}

/** deploy/nginx.conf with its placeholders filled in. */
export function renderNginxConfig(prefix: string, listen: string, upstreamPorts: number[]): string {
  const servers = upstreamPorts.map((port) => `server 127.0.0.1:${port} max_fails=1 fail_timeout=2s;`).join('\n        ');
  const fill = (line: string) =>
    line.trimStart().startsWith('#')
      ? line
      : line
          .replaceAll('@PREFIX@', prefix)
          .replaceAll('@LISTEN@', listen)
          .replaceAll('@SERVERS@', servers)
          .replace('worker_processes auto;', 'worker_processes 1;');
  return readFileSync(NGINX_TEMPLATE, 'utf8').split('\n').map(fill).join('\n');
}

export interface ClusterOptions {
  /** How many server processes (default 2). */
  processes?: number;
  databaseUrl: string;
  redisUrl?: string | null;
  /** Settings for every process (FUNCSPEC_SECRET is generated when missing; a fresh data dir is used). */
  env?: Record<string, string>;
  /** The balancer's port (default: a free one). */
  port?: number;
}

export interface Cluster {
  /** The balancer: send every request here. */
  url: string;
  nodes: ServerProcess[];
  /** The environment every process runs with (for operator commands on the same deployment). */
  env: Record<string, string>;
  /** Kills process `index` with `signal` (default SIGKILL) and waits until it is gone. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts process `index` again on its port (nginx keeps routing to it). */
  restart(index: number): Promise<ServerProcess>;
  /** Stops every process (SIGTERM, drained), then nginx, and removes the balancer's files. */
  stop(): Promise<void>;
}

/** N processes behind nginx. Throws (with nginx's words) when nginx is missing or will not start. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const count = options.processes ?? 2;
  const prefix = mkdtempSync(path.join(tmpdir(), 'funcspec-cluster-'));
  chmodSync(prefix, 0o755); // nginx's workers (not root) write temp files here
  const dataDir = path.join(prefix, 'data');
  mkdirSync(dataDir);
  const balancerPort = options.port ?? (await freePort());
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    FUNCSPEC_DATA_DIR: dataDir,
    FUNCSPEC_SECRET: randomBytes(32).toString('hex'),
    FUNCSPEC_TRUST_PROXY: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${balancerPort}`,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  // Started at once, as an orchestrator would: the migrations must cope.
  const nodes = await Promise.all(Array.from({ length: count }, () => spawnServer(env)));
  const confFile = path.join(prefix, 'nginx.conf');
  writeFileSync(
    confFile,
    renderNginxConfig(
      prefix,
      `127.0.0.1:${balancerPort}`,
      nodes.map((n) => n.port),
    ),
  );
  const nginx = spawn(NGINX, ['-p', prefix, '-c', confFile, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let nginxOutput = '';
  nginx.stderr!.on('data', (chunk) => (nginxOutput += chunk));
  const nginxExited = new Promise<void>((resolve) => nginx.on('close', () => resolve()));
  nginx.on('error', (error) => (nginxOutput += String(error)));
  const url = `http://127.0.0.1:${balancerPort}`;
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => stopServer(node)));
    nginx.kill('SIGQUIT');
    await nginxExited;
    rmSync(prefix, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (nginx.exitCode !== null || i > 100) {
      await stopAll();
      throw new Error(`nginx did not start: ${nginxOutput || 'no output'}`);
    }
    await pause(100);
  }
  return {
    url,
    nodes,
    env,
    async kill(index, signal = 'SIGKILL') {
      nodes[index]!.child.kill(signal);
      await nodes[index]!.exited;
    },
    async restart(index) {
      nodes[index] = await spawnServer(env, nodes[index]!.port);
      return nodes[index]!;
    },
    stop: stopAll,
  };
}

/** True when nginx can be run here (the tests that need a balancer say so instead of failing obscurely). */
export function nginxInstalled(): boolean {
  return spawnSync(NGINX, ['-v']).status === 0;
}

// As a command: start, print where, stop on SIGINT/SIGTERM.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = (await import('node:util')).parseArgs({
    options: {
      processes: { type: 'string', default: '2' },
      'database-url': { type: 'string', default: process.env.DATABASE_URL },
      'redis-url': { type: 'string', default: process.env.REDIS_URL },
      port: { type: 'string' },
    },
  });
  if (!values['database-url']) {
    console.error('--database-url (or DATABASE_URL) is required: postgres://… (sqlite: works for one host)');
    process.exit(2);
  }
  const cluster = await startCluster({
    processes: Number(values.processes),
    databaseUrl: values['database-url'],
    redisUrl: values['redis-url'] ?? null,
    port: values.port ? Number(values.port) : undefined,
    env: process.env.FUNCSPEC_SECRET ? { FUNCSPEC_SECRET: process.env.FUNCSPEC_SECRET } : {},
  });
  console.log(`balancer ${cluster.url} → ${cluster.nodes.map((n) => n.url).join(', ')} (Ctrl-C stops)`);
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
