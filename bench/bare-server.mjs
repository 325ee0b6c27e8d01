// The yardstick: a bare Fastify route, in its own plain-JavaScript process like the real server,
// answering the same body the authenticated balance route answers.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ total_credits: 100, credits_used: 0, credits_left: 100 }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.({ ready: true });
process.on('message', (message) => {
  if (message.stats) {
    const cpu = process.cpuUsage();
    process.send?.({ rss: process.memoryUsage().rss, heapUsed: 0, lookups: 0, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (message.stop) void app.close().then(() => process.exit(0));
});
