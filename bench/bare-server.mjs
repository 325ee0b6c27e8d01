// The yardstick: a bare Fastify route, in its own plain-JavaScript process like the real server.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ total_credits: 100, credits_used: 0, credits_left: 100 }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.({ ready: true });
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ rss: process.memoryUsage().rss, heapUsed: 0, lookups: 0, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 });
  if (message === 'stop') void app.close().then(() => process.exit(0));
});
