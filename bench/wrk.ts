/**
 * wrk as the load generator: written in C with an event loop per thread, it out-runs a Node server on
 * one core, so what the bench measures is the server. (autocannon, in Node, saturated first on this
 * project's 2-core machine and hid most of the server's own cost.)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers outside 2xx/3xx. */
  non2xx: number;
  /** Connect, read, write errors and timeouts. */
  errors: number;
}

export interface WrkOptions {
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
  /** Lua that defines `request` (and `init`, `delay`) for requests that change from one to the next. */
  script?: string;
}

/** wrk on the PATH, installed from Debian when running as root; otherwise the way to get it, and exit. */
export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error('Installing the load generator: wrk (Debian package)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit', env });
    return;
  }
  console.error('The bench drives load with wrk: install it (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk) and run again.');
  process.exit(1);
}

// Every run ends by printing one JSON line: the numbers, straight from wrk's own histogram.
const REPORT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`;

/** One wrk run with one thread (the other core is the server's). */
export async function wrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'funcspec-wrk-'));
  const script = path.join(dir, 'run.lua');
  writeFileSync(script, `${options.script ?? ''}\n${REPORT}`);
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', script];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(url);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}:\n${out}`))));
    });
    const line = /WRK_RESULT (\{.*\})/.exec(output);
    if (!line) throw new Error(`wrk printed no result:\n${output}`);
    const raw = JSON.parse(line[1]!) as { requests: number; duration_us: number; p50_us: number; p99_us: number; non2xx: number; errors: number };
    return {
      requests: raw.requests,
      requestsPerSecond: Math.round(raw.requests / (raw.duration_us / 1e6)),
      p50Ms: +(raw.p50_us / 1000).toFixed(2),
      p99Ms: +(raw.p99_us / 1000).toFixed(2),
      non2xx: raw.non2xx,
      errors: raw.errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lua: each request carries the next key of `keys` (cycling). */
export function rotatingKeysScript(keys: string[]): string {
  return `
local keys = { ${keys.map((key) => `"${key}"`).join(',')} }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", nil, { ["X-Api-Key"] = keys[(i % #keys) + 1] })
end
`;
}

/** Lua: password logins, each for the next of `count` accounts `bench-login-<n>@example.com`. */
export function loginScript(count: number, password: string): string {
  return `
local i = 0
request = function()
  i = i + 1
  local body = string.format('{"email":"bench-login-%d@example.com","password":"%s"}', i % ${count}, "${password}")
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
`;
}

/** Lua: each connection waits `ms` between answers, so the offered load stays the same whatever else runs. */
export function pacedScript(ms: number): string {
  return `delay = function() return ${ms} end\n`;
}
