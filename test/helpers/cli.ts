import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { after, afterEach, before } from 'node:test';
import { startTestServer, type TestServer } from './server.js';
import { Terminal } from './terminal.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'funcspec.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

let built = false;
/** The binary runs the compiled dist/: compile once when src/ is newer (`npm test` builds first anyway). */
export function ensureBuilt(): void {
  if (built) return;
  const target = path.join(ROOT, 'dist', 'cli', 'main.js');
  let stale = true;
  try {
    stale = statSync(target).mtimeMs < newestMtime(path.join(ROOT, 'src'));
  } catch {
    stale = true;
  }
  if (stale) {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (result.status !== 0) throw new Error('build failed');
  }
  built = true;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A private HOME (and XDG_CONFIG_HOME unset) so every test starts from no config file. */
export class CliHome {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'funcspec-cli-'));

  get configFile(): string {
    return path.join(this.dir, '.config', 'funcspec', 'config.toml');
  }

  /** The environment of the child: nothing of the caller's FUNCSPEC_* settings leaks in. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const name of ['PATH', 'LANG', 'TERM', 'SYSTEMROOT', 'TMPDIR']) if (process.env[name] !== undefined) env[name] = process.env[name];
    Object.assign(env, { HOME: this.dir, FUNCSPEC_NO_BROWSER: '1' }, extra);
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    return env;
  }

  /** Runs `funcspec ARGS` as a subprocess (the real binary) and collects its output and exit code. */
  run(
    args: string[],
    options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number; onStderr?: (soFar: string) => void } = {},
  ): Promise<CliResult> {
    ensureBuilt();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.env(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        options.onStderr?.(stderr);
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`funcspec ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, options.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(options.input ?? '');
    });
  }

  /** Like run, but fails the test unless the exit code is 0; returns stdout. */
  async ok(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`funcspec ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result.stdout;
  }

  /** `--format json` output, parsed. */
  async json<T = any>(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<T> {
    return JSON.parse(await this.ok([...args, '--format', 'json'], options)) as T;
  }

  /** `funcspec auth login --base-url URL ARGS` in a real terminal (tmux), with this home. */
  startLogin(baseUrl: string, args: string[] = []): Terminal {
    return Terminal.start([process.execPath, BIN, 'auth', 'login', '--base-url', baseUrl, ...args], this.env());
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TOML file as plain objects (smol-toml gives null-prototype tables, which deepEqual tells apart). */
export function readToml(file: string): any {
  return JSON.parse(JSON.stringify(parse(readFileSync(file, 'utf8'))));
}

/**
 * The CLI tests' fixture, set up in the calling `describe`: one server (agent sign-ups unthrottled, plus
 * `settings`), a fresh CLI home per test (`newHome`, or `login` for an interactive login in a real
 * terminal), closed and removed after each test.
 */
export function cliFixture(settings: Record<string, string> = {}) {
  let server: TestServer | undefined;
  let home: CliHome | undefined;
  let terminal: Terminal | undefined;
  before(async () => {
    ensureBuilt();
    server = await startTestServer({ FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000', FUNCSPEC_AGENT_VERIFY_PER_IP: '100000', ...settings });
  });
  afterEach(() => {
    terminal?.close();
    terminal = undefined;
    home?.remove();
  });
  after(() => server?.close());
  return {
    get t(): TestServer {
      return server!;
    },
    get home(): CliHome {
      return home!;
    },
    /** A fresh CLI home for this test (removed after it). */
    newHome(): CliHome {
      home = new CliHome();
      return home;
    },
    /** `funcspec auth login` in a terminal, with a fresh CLI home. */
    login(args: string[] = []): Terminal {
      home = new CliHome();
      terminal = home.startLogin(server!.url, args);
      return terminal;
    },
  };
}
