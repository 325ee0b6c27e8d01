// The real server as `funcspec serve` runs it (compiled, from dist/), in its own process, answering
// the bench's questions over IPC: how many database reads key checks made, and how much memory it holds.
import { loadConfig } from '../dist/config.js';
import { startServer } from '../dist/server.js';

const server = await startServer(loadConfig());
process.send?.({ ready: true });
process.on('message', (message) => {
  if (message.stats) {
    const cpu = process.cpuUsage();
    // (run with --expose-gc) heapUsed after a full collection is the live heap, not garbage waiting for one
    if (message.gc) globalThis.gc?.();
    const memory = process.memoryUsage();
    process.send?.({ rss: memory.rss, heapUsed: memory.heapUsed, lookups: server.ctx.keys.lookups, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (message.stop) void server.close().then(() => process.exit(0));
});
