/**
 * Crash safety behind the balancer: a writer sends numbered creates through nginx to two processes;
 * one is `kill -9`ed mid-write and restarted. Every create that was acknowledged (2xx) is stored, and
 * exactly once. Runs on SQLite (both processes on one file) and on PostgreSQL (+ Redis when set).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nginxInstalled } from '../scripts/cluster.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster: kill -9 of one process mid-write behind nginx', { skip: nginxInstalled() ? false : 'needs nginx' }, () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ processes: 2, redisUrl: process.env.REDIS_URL ?? null });
  });
  after(async () => {
    await tc?.close();
  });

  it('every create that got a 2xx is present exactly once after one process is kill -9ed and restarted', async () => {
    const key = await tc.agentKey();
    const project = await tc.request('POST', '/api/v1/projects', { key, body: { name: 'Crash test' } });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    const items = `/api/v1/projects/${project.body.data.id}/spec/items`;

    const acknowledged = new Set<number>();
    const outcomes = new Map<string, number>();
    let next = 0;
    let stop = false;
    // Four writers, each create numbered; whatever happens to a request is tallied.
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const n = next++;
        try {
          const reply = await tc.request('POST', items, { key, body: { type_of: 'functional', title: `create ${n}` }, signal: AbortSignal.timeout(30_000) });
          outcomes.set(String(reply.status), (outcomes.get(String(reply.status)) ?? 0) + 1);
          if (reply.status === 201) acknowledged.add(n);
          else assert.ok(reply.status === 503 || reply.status === 502, `unexpected ${reply.status}: ${JSON.stringify(reply.body)}`);
        } catch (error) {
          outcomes.set('connection error', (outcomes.get('connection error') ?? 0) + 1);
          if ((error as Error).name === 'AssertionError') throw error;
        }
      }
    });
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 60_000;
      while (acknowledged.size < count && Date.now() < deadline) await pause(10);
    };
    await waitFor(40);
    const killedAt = acknowledged.size;
    await tc.cluster.kill(0, 'SIGKILL');
    await waitFor(killedAt + 40); // the other process carries on alone
    await tc.cluster.restart(0);
    await waitFor(acknowledged.size + 40);
    stop = true;
    await Promise.all(writers);

    const titles: string[] = [];
    for (let page = 1; ; page++) {
      const list = await tc.request('GET', `${items}?per=100&page=${page}`, { key });
      assert.equal(list.status, 200);
      titles.push(...list.body.data.map((item: { title: string }) => item.title));
      if (page * 100 >= list.body.meta.total) break;
    }
    const counts = new Map<string, number>();
    for (const title of titles) counts.set(title, (counts.get(title) ?? 0) + 1);
    const missing = [...acknowledged].filter((n) => !counts.has(`create ${n}`));
    const doubled = [...counts].filter(([, c]) => c > 1).map(([title]) => title);
    console.log(
      `# ${next} creates sent, ${acknowledged.size} acknowledged (kill -9 after ${killedAt}), ${titles.length} stored; ` +
        `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; missing ${missing.length}, stored twice ${doubled.length}`,
    );
    assert.deepEqual(missing, [], 'every acknowledged create is stored');
    assert.deepEqual(doubled, [], 'nothing is stored twice (nginx never replays a POST)');
    assert.ok(titles.length - acknowledged.size <= 4, 'at most the requests in flight at the kill were stored unacknowledged');
  });
});
