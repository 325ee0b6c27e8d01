// The server as a separate process: the same code the cluster harness starts its processes with.
import { spawnServer, stopServer, type ServerProcess } from '../../scripts/cluster.js';

export { freePort, spawnServer, stopServer, type ServerProcess } from '../../scripts/cluster.js';

/** Two `funcspec serve` processes on the same settings (one database, one Redis), as behind a load balancer. */
export async function spawnPair(env: Record<string, string>): Promise<{ a: ServerProcess; b: ServerProcess; stop(): Promise<void> }> {
  const a = await spawnServer(env);
  const b = await spawnServer(env);
  return { a, b, stop: async () => void (await Promise.all([stopServer(a), stopServer(b)])) };
}
