/**
 * What operators rely on: Prometheus metrics on their own listener (off by default), native TLS with
 * HSTS under an https PUBLIC_URL, log lines that carry the request id through the balancer, and
 * backups taken under load that restore to a server serving the same keys and items.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { nginxInstalled } from '../scripts/cluster.js';
import { freshDatabase } from './helpers/databases.js';
import { client } from './helpers/http.js';
import { startLoad } from './helpers/load.js';
import { runFuncspec } from './helpers/operator.js';
import { freePort, spawnServer, stopServer } from './helpers/process.js';
import { agentKey, startTestServer } from './helpers/server.js';
import { startTestCluster } from './helpers/cluster.js';
import { MailTrap } from './helpers/mailtrap.js';
import { randomBase62 } from '../src/lib/random.js';
import { usingPostgres } from './helpers/databases.js';

/** `name{labels} value` lines of a Prometheus exposition, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

describe('metrics: GET /metrics in Prometheus format on a listener of its own', () => {
  it('off by default: the public listener has no /metrics', async () => {
    const t = await startTestServer();
    try {
      assert.equal((await t.request('GET', '/metrics')).status, 404);
    } finally {
      await t.close();
    }
  });

  it('with FUNCSPEC_METRICS_PORT: request counts and latency by route and status, key checks, limiter, key cache, mail, database and Redis health', async () => {
    const port = await freePort();
    const t = await startTestServer({ FUNCSPEC_METRICS_PORT: String(port) });
    try {
      const { key } = await agentKey(t);
      for (let i = 0; i < 3; i++) assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).status, 200);
      const unknown = `${key.slice(0, 8)}${'A'.repeat(38)}`;
      await t.request('GET', '/api/v1/credits/balance', { key: unknown });
      assert.equal((await t.request('GET', '/metrics')).status, 404, 'never on the public listener');
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(scrape.status, 200);
      assert.match(scrape.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
      const m = samples(await scrape.text());
      assert.equal(m.get('funcspec_http_request_duration_seconds_count{method="GET",route="/api/v1/credits/balance",status="200"}'), 3);
      assert.equal(m.get('funcspec_http_request_duration_seconds_count{method="GET",route="/api/v1/credits/balance",status="401"}'), 1);
      assert.ok(m.has('funcspec_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/credits/balance",status="200"}'));
      assert.equal(m.get('funcspec_key_checks_total{outcome="valid"}'), 3);
      assert.equal(m.get('funcspec_key_checks_total{outcome="invalid"}'), 1);
      assert.equal(m.get('funcspec_key_database_lookups_total'), 1, 'one read, then the cache');
      assert.ok(m.get('funcspec_key_cache_hit_ratio')! >= 0.5);
      assert.ok(m.get('funcspec_rate_limit_decisions_total{outcome="allowed"}')! >= 3);
      assert.equal(m.get('funcspec_mail_total{outcome="sent"}'), 1, 'the sign-up code');
      assert.equal(m.get('funcspec_dependency_up{dependency="database"}'), 1);
      if (process.env.REDIS_URL) assert.equal(m.get('funcspec_dependency_up{dependency="redis"}'), 1);
      if (usingPostgres) assert.ok(m.get('funcspec_db_pool_connections{state="total"}')! >= 1);
      assert.ok(m.get('funcspec_process_resident_memory_bytes')! > 0);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      await t.close();
    }
  });

  it('a bad FUNCSPEC_METRICS_PORT, or the public port, stops start-up with one line naming it', async () => {
    for (const env of [{ FUNCSPEC_METRICS_PORT: 'x' }, { PORT: '8123', FUNCSPEC_METRICS_PORT: '8123' }] as Array<Record<string, string>>) {
      const result = await runFuncspec(['serve'], { DATABASE_URL: 'sqlite::memory:', ...env });
      assert.equal(result.code, 1);
      assert.match(result.stderr.trim(), /^Invalid setting FUNCSPEC_METRICS_PORT: [^\n]+$/);
    }
  });
});

describe('native TLS and HSTS', () => {
  it('with TLS_CERT_FILE and TLS_KEY_FILE the server speaks HTTPS only, and an https PUBLIC_URL adds Strict-Transport-Security', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'funcspec-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const port = await freePort();
    const t = await startTestServer({ PORT: String(port), TLS_CERT_FILE: cert, TLS_KEY_FILE: key, PUBLIC_URL: `https://localhost:${port}` });
    try {
      assert.match(t.url, /^https:/);
      const answer = await new Promise<{ status: number; hsts: unknown; body: string }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', ca: readFileSync(cert), servername: 'localhost' }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, hsts: res.headers['strict-transport-security'], body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.hsts, 'max-age=31536000; includeSubDomains');
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'plain HTTP is not answered');
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const plain = await startTestServer();
    try {
      assert.equal((await plain.request('GET', '/healthz')).headers.get('strict-transport-security'), null, 'no HSTS under an http PUBLIC_URL');
    } finally {
      await plain.close();
    }
  });

  it('a TLS setting that cannot be used stops start-up with one line naming it', async () => {
    for (const [env, setting] of [
      [{ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: '/nonexistent/key.pem' }, 'TLS_CERT_FILE'],
      [{ TLS_CERT_FILE: '/etc/hostname' }, 'TLS_KEY_FILE'],
    ] as const) {
      const result = await runFuncspec(['serve'], { DATABASE_URL: 'sqlite::memory:', ...env });
      assert.equal(result.code, 1);
      assert.match(result.stderr.trim(), new RegExp(`^Invalid setting ${setting}: [^\\n]+$`));
    }
  });
});

describe('structured logs', { skip: nginxInstalled() ? false : 'needs nginx' }, () => {
  it("each log line is JSON with the request id, which nginx carries through (its own, or the client's)", async () => {
    const tc = await startTestCluster({ processes: 1, redisUrl: process.env.REDIS_URL ?? null, env: { LOG_LEVEL: 'debug' } });
    try {
      const mine = await tc.request('GET', '/api/v1/me', { headers: { 'x-request-id': 'trace-me-42' } });
      assert.equal(mine.headers.get('x-request-id'), 'trace-me-42');
      const named = await tc.request('GET', '/api/v1/me');
      const id = named.headers.get('x-request-id')!;
      assert.match(id, /^[0-9a-f]{32}$/, 'named by nginx');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = tc.cluster.nodes[0]!.output()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const wanted of ['trace-me-42', id]) {
        const line = lines.find((l) => l.reqId === wanted && l.msg === 'request completed');
        assert.ok(line, `a line for ${wanted}`);
        assert.equal((line.res as { statusCode: number }).statusCode, 401);
        assert.equal(typeof line.time, 'number');
        assert.equal(typeof line.level, 'number');
      }
    } finally {
      await tc.close();
    }
  });
});

describe('backup and restore', () => {
  it('a backup taken under load restores to a server that serves the same keys and items', async () => {
    const source = await freshDatabase();
    const target = await freshDatabase();
    const mail = await new MailTrap().start();
    const secret = randomBase62(40);
    const env = (db: typeof source) => ({
      DATABASE_URL: db.url,
      FUNCSPEC_DATA_DIR: db.dataDir,
      FUNCSPEC_SECRET: secret,
      SMTP_URL: mail.url,
      FUNCSPEC_REDIS_PREFIX: `t${randomBase62(8)}:`,
      LOG_LEVEL: 'warn',
    });
    const file = path.join(source.dataDir, `backup-${Date.now()}.${usingPostgres ? 'pgdump' : 'sqlite'}`);
    const server = await spawnServer(env(source));
    let restored: Awaited<ReturnType<typeof spawnServer>> | null = null;
    try {
      const t = { request: client(server.url), mail } as unknown as Parameters<typeof agentKey>[0];
      const { key } = await agentKey(t);
      const request = client(server.url);
      const project = (await request('POST', '/api/v1/projects', { key, body: { name: 'Backed up' } })).body.data;
      const items = `/api/v1/projects/${project.id}/spec/items`;
      const org = (await request('GET', '/api/v1/me', { key })).body.data.organization.slug;
      const second = (await request('POST', `/api/v1/organizations/${org}/api-keys`, { key, body: { name: 'second' } })).body.data;
      let n = 0;
      const load = startLoad([
        async () => ({ kind: 'create', reply: await request('POST', items, { key, body: { type_of: 'functional', title: `under load ${n++}` } }) }),
        async () => ({ kind: 'create', reply: await request('POST', items, { key, body: { type_of: 'technical', title: `under load ${n++}` } }) }),
        async () => ({ kind: 'read', reply: await request('GET', `${items}?per=10`, { key: second.key }) }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = (await request('GET', `${items}?per=1`, { key })).body.meta.total as number;
      const backup = await runFuncspec(['admin', 'backup', file], env(source));
      assert.equal(backup.code, 0, backup.stderr);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await load.stop();
      assert.ok(
        load.samples.every((s) => s.status === 200 || s.status === 201),
        'the load ran undisturbed by the backup',
      );
      const total = (await request('GET', `${items}?per=1`, { key })).body.meta.total as number;

      const again = await runFuncspec(['admin', 'backup', file], env(source));
      assert.equal(again.code, 1, 'never overwrites a backup');
      assert.equal((await runFuncspec(['admin', 'restore', file], env(target))).code, 2, 'restore asks for --yes');
      const restore = await runFuncspec(['admin', 'restore', file, '--yes'], env(target));
      assert.equal(restore.code, 0, restore.stderr);
      restored = await spawnServer(env(target));
      const there = client(restored.url);
      assert.equal((await there('GET', '/api/v1/me', { key })).status, 200, 'the agent key works on the restored server');
      assert.equal((await there('GET', '/api/v1/me', { key: second.key })).status, 200, 'and the second key');
      const all: Array<{ permalink: string; title: string }> = [];
      for (let page = 1; ; page++) {
        const list = await there('GET', `${items}?per=100&page=${page}&sort=permalink`, { key });
        all.push(...list.body.data);
        if (page * 100 >= list.body.meta.total) break;
      }
      console.log(
        `# backup under load: ${before} items before it began, ${all.length} in the backup, ${total} when the load stopped (${load.samples.length} requests, all 2xx)`,
      );
      assert.ok(all.length >= before && all.length <= total, 'the backup holds what was there when it began, and nothing that never was');
      const numbers = (prefix: string) =>
        all
          .filter((i) => i.permalink.startsWith(prefix))
          .map((i) => Number(i.permalink.slice(2)))
          .sort((a, b) => a - b);
      for (const prefix of ['F-', 'T-'])
        assert.deepEqual(
          numbers(prefix),
          numbers(prefix).map((_, i) => i + 1),
          `${prefix}n consecutive: one consistent snapshot`,
        );
      const next = await there('POST', items, { key, body: { type_of: 'functional', title: 'after restore' } });
      assert.equal(next.status, 201);
      assert.equal(next.body.data.permalink, `F-${numbers('F-').length + 1}`, 'the counters came back with the items');
      const bad = path.join(source.dataDir, 'not-a-backup');
      execFileSync('sh', ['-c', `echo nonsense > ${bad}`]);
      const refused = await runFuncspec(['admin', 'restore', bad, '--yes'], env(target));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is not a/);
    } finally {
      await stopServer(server);
      if (restored) await stopServer(restored);
      await mail.close();
      await source.drop();
      await target.drop();
    }
  });
});
