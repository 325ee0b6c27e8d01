// The server as a separate process: the same code the cluster harness starts its processes with.
import { spawnServer, stopServer, type ServerProcess } from '../../scripts/cluster.js';
import { randomBase62 } from '../../src/lib/random.js';
import type { TestDatabase } from './databases.js';
import type { MailTrap } from './mailtrap.js';

export { freePort, spawnServer, stopServer, type ServerProcess } from '../../scripts/cluster.js';

/** Two `funcspec serve` processes on the same settings (one database, one Redis), as behind a load balancer. */
export async function spawnPair(env: Record<string, string>): Promise<{ a: ServerProcess; b: ServerProcess; stop(): Promise<void> }> {
  const a = await spawnServer(env);
  const b = await spawnServer(env);
  return { a, b, stop: async () => void (await Promise.all([stopServer(a), stopServer(b)])) };
}

/**
 * The environment of a `funcspec serve` process under test: its database and data folder, a fresh secret,
 * the test's SMTP peer, a private Redis prefix and, when given, Redis.
 */
export function processEnv(db: TestDatabase, mail: MailTrap, redisUrl: string | undefined): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    FUNCSPEC_DATA_DIR: db.dataDir,
    FUNCSPEC_SECRET: randomBase62(40),
    SMTP_URL: mail.url,
    FUNCSPEC_REDIS_PREFIX: `t${randomBase62(8)}:`,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
}
