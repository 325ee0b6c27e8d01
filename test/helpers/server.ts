import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/context.js';
import { randomBase62 } from '../../src/lib/random.js';
import type { Clock } from '../../src/lib/time.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freshDatabase, type TestDatabase } from './databases.js';
import { client } from './http.js';
import { codeFrom, MailTrap } from './mailtrap.js';

/** A clock the test can move forward, so expiry is tested without sleeping. */
export class TestClock implements Clock {
  offsetMs = 0;
  private frozenAt: number | null = null;
  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  /** Stops the clock (until `thaw`): everything done meanwhile happens within one millisecond. */
  freeze(): void {
    this.frozenAt = Date.now();
  }
  thaw(): void {
    if (this.frozenAt !== null) this.offsetMs -= Date.now() - this.frozenAt;
    this.frozenAt = null;
  }
}

/** What the flow helpers need of a server: its HTTP surface and the mail it sent (also for spawned processes). */
export type ServerPeer = Pick<TestServer, 'request' | 'mail'>;

export interface TestServer {
  url: string;
  server: RunningServer;
  database: TestDatabase;
  mail: MailTrap;
  clock: TestClock;
  env: Record<string, string>;
  request: ReturnType<typeof client>;
  close(): Promise<void>;
}

/**
 * The real server on an ephemeral port over a fresh database (SQLite, or PostgreSQL when DATABASE_URL
 * is one), Redis when REDIS_URL is set (with a private key prefix), and a real SMTP peer.
 */
export async function startTestServer(settings: Record<string, string> = {}): Promise<TestServer> {
  const database = await freshDatabase();
  const mail = await new MailTrap().start();
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    FUNCSPEC_DATA_DIR: database.dataDir,
    FUNCSPEC_SECRET: randomBase62(40),
    SMTP_URL: mail.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    FUNCSPEC_REDIS_PREFIX: `t${randomBase62(10)}:`,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...settings,
  };
  const clock = new TestClock();
  const config = loadConfig(env);
  const server = await startServer(config, { clock, log: createLogger(config.logLevel) });
  return {
    url: server.url,
    server,
    database,
    mail,
    clock,
    env,
    request: client(server.url),
    async close() {
      await server.close();
      await mail.close();
      await database.drop();
    },
  };
}

let counter = 0;
/** A unique, valid e-mail address for one test. */
export function uniqueEmail(label = 'agent'): string {
  counter += 1;
  return `${label}-${counter}-${randomBase62(6).toLowerCase()}@example.com`;
}

/** The two-call agent flow; returns the key. */
export async function agentKey(t: ServerPeer, email = uniqueEmail()): Promise<{ email: string; key: string }> {
  const before = t.mail.to(email).length;
  const signUp = await t.request('POST', '/api/v1/agent/sign-up', { body: { email } });
  if (signUp.status !== 200) throw new Error(`sign-up failed: ${JSON.stringify(signUp.body)}`);
  const code = codeFrom(await t.mail.waitFor(email, { after: before }));
  const verify = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
  if (verify.status !== 200) throw new Error(`verify failed: ${JSON.stringify(verify.body)}`);
  return { email, key: verify.body.api_key };
}
