import { randomBase62 } from '../../src/lib/random.js';
import { startCluster, type Cluster } from '../../scripts/cluster.js';
import { freshDatabase, type TestDatabase } from './databases.js';
import { client } from './http.js';
import { codeFrom, MailTrap } from './mailtrap.js';
import { TestClock, uniqueEmail, type TestServer } from './server.js';

export interface TestCluster {
  cluster: Cluster;
  url: string;
  database: TestDatabase;
  mail: MailTrap;
  /** Requests through the balancer. */
  request: ReturnType<typeof client>;
  /** The cluster in the shape the single-server helpers take (verifiedUser, loginCookie, …). */
  asServer: TestServer;
  /** The two-call agent flow through the balancer; returns the key. */
  agentKey(email?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * N processes behind nginx on a fresh database (on `postgresUrl`, else DATABASE_URL's server, else a
 * SQLite file), Redis when `redisUrl` is given, and a real SMTP peer.
 */
export async function startTestCluster(
  options: { processes?: number; postgresUrl?: string; redisUrl?: string | null; env?: Record<string, string> } = {},
): Promise<TestCluster> {
  const database = await freshDatabase(options.postgresUrl);
  const mail = await new MailTrap().start();
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      processes: options.processes ?? 2,
      databaseUrl: database.url,
      redisUrl: options.redisUrl,
      env: { SMTP_URL: mail.url, FUNCSPEC_REDIS_PREFIX: `t${randomBase62(10)}:`, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', ...options.env },
    });
  } catch (error) {
    await mail.close();
    await database.drop();
    throw error;
  }
  const request = client(cluster.url);
  const asServer = { url: cluster.url, request, mail, clock: new TestClock(), env: cluster.env } as unknown as TestServer;
  return {
    cluster,
    url: cluster.url,
    database,
    mail,
    request,
    asServer,
    async agentKey(email = uniqueEmail()) {
      const before = mail.to(email).length;
      const signUp = await request('POST', '/api/v1/agent/sign-up', { body: { email } });
      if (signUp.status !== 200) throw new Error(`sign-up failed: ${signUp.status} ${JSON.stringify(signUp.body)}`);
      const code = codeFrom(await mail.waitFor(email, { after: before }));
      const verify = await request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
      if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${JSON.stringify(verify.body)}`);
      return verify.body.api_key as string;
    },
    async close() {
      await cluster.stop();
      await mail.close();
      await database.drop();
    },
  };
}
