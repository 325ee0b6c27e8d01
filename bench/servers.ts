/** The processes under load: each in its own Node process, answering the bench's questions over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { freePort } from '../test/helpers/process.js';

export interface Stats {
  /** Resident set size, bytes. */
  rss: number;
  /** The live heap after a full collection (0 for the bare server). */
  heapUsed: number;
  /** Database reads made to resolve API keys so far. */
  lookups: number;
  /** CPU time the process used so far (user + system), ms. */
  cpuMs: number;
}

export interface BenchServer {
  name: string;
  url: string;
  child: ChildProcess;
  stats(options?: { gc?: boolean }): Promise<Stats>;
  stop(): Promise<void>;
}

export async function startServer(name: string, script: string, env: Record<string, string>): Promise<BenchServer> {
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
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    stats: (options = {}) =>
      new Promise<Stats>((resolve) => {
        child.once('message', (m) => resolve(m as Stats));
        child.send({ stats: true, gc: options.gc ?? false });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
