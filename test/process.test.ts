import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freshDatabase, type TestDatabase } from './helpers/databases.js';
import { client } from './helpers/http.js';
import { codeFrom, MailTrap } from './helpers/mailtrap.js';
import { runFuncspec } from './helpers/operator.js';
import { processEnv, spawnServer } from './helpers/process.js';
import { uniqueEmail } from './helpers/server.js';

async function keyFrom(url: string, mail: MailTrap): Promise<string> {
  const request = client(url);
  const email = uniqueEmail();
  assert.equal((await request('POST', '/api/v1/agent/sign-up', { body: { email } })).status, 200);
  const code = codeFrom(await mail.waitFor(email));
  const verify = await request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
  assert.equal(verify.status, 200);
  return verify.body.api_key;
}

describe('start-up settings', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ FUNCSPEC_AGENT_OTP_TTL: '10 years' }, 'FUNCSPEC_AGENT_OTP_TTL'],
    [{ FUNCSPEC_AGENT_OTP_MAX_ATTEMPTS: '-1' }, 'FUNCSPEC_AGENT_OTP_MAX_ATTEMPTS'],
    [{ FUNCSPEC_SESSION_IDLE_TIMEOUT: '24' }, 'FUNCSPEC_SESSION_IDLE_TIMEOUT'],
    [{ FUNCSPEC_KEY_ENV: 'prod' }, 'FUNCSPEC_KEY_ENV'],
    [{ FUNCSPEC_TRUST_PROXY: '10.0.0.0/33' }, 'FUNCSPEC_TRUST_PROXY'],
    [{ FUNCSPEC_TRUST_PROXY: '0.0.0.0/0' }, 'FUNCSPEC_TRUST_PROXY'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
    [{ FUNCSPEC_SECRET: 'short' }, 'FUNCSPEC_SECRET'],
    [{ DATABASE_URL: 'postgres://127.0.0.1/x' }, 'FUNCSPEC_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ];
  for (const [env, setting] of cases) {
    it(`a bad ${setting} (${JSON.stringify(env)}) stops start-up with one clear line naming it`, async () => {
      const result = await runFuncspec(['serve'], { DATABASE_URL: 'sqlite::memory:', ...env });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, new RegExp(`^Invalid setting ${setting}: `));
      assert.equal(result.stdout, '');
    });
  }
});

describe('security review: settings errors', () => {
  for (const [setting, value] of [
    ['DATABASE_URL', 'postgres://funcspec:Sup3r-S3cret-Pw@db.internal:notaport/funcspec'],
    ['DATABASE_URL', 'mysql://root:Sup3r-S3cret-Pw@db.internal/funcspec'],
    ['REDIS_URL', 'redis://:Sup3r-S3cret-Pw@cache.internal:notaport'],
    ['SMTP_URL', 'smtp://mailer:Sup3r-S3cret-Pw@mail.internal:notaport'],
  ] as const) {
    it(`threat: a bad ${setting} is printed with its password — the error names the setting and shows no credentials (${value.split(':')[0]})`, async () => {
      const result = await runFuncspec(['serve'], { DATABASE_URL: 'sqlite::memory:', [setting]: value });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^Invalid setting ${setting}: `));
      assert.doesNotMatch(result.stderr + result.stdout, /Sup3r-S3cret-Pw/);
      assert.match(result.stderr, /\*\*\*@/, 'where the credentials were, it says so');
    });
  }
});

describe('the process: migrations, restarts, crashes, SIGTERM', () => {
  let db: TestDatabase;
  let mail: MailTrap;
  let env: Record<string, string>;
  before(async () => {
    db = await freshDatabase();
    mail = await new MailTrap().start();
    env = processEnv(db, mail, process.env.REDIS_URL);
  });
  after(async () => {
    await mail.close();
    await db.drop();
  });

  it('funcspec migrate brings a fresh database up to date, and says so the second time', async () => {
    const first = await runFuncspec(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Applied: .*foundation/);
    const second = await runFuncspec(['migrate'], env);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /up to date/);
  });

  it('threat: processes started together race to migrate a fresh database; every one comes up and each migration runs once', async () => {
    const fresh = await freshDatabase();
    try {
      const freshEnv = processEnv(fresh, mail, process.env.REDIS_URL);
      const runs = await Promise.all(Array.from({ length: 4 }, () => runFuncspec(['migrate'], freshEnv)));
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const applied = runs.flatMap((run) => /Applied: (.*)/.exec(run.stdout)?.[1]?.split(/,\s*/) ?? []);
      assert.equal(new Set(applied).size, applied.length, `no migration applied twice: ${applied.join(' ')}`);
    } finally {
      await fresh.drop();
    }
  });

  it('data survives a restart: a key made before SIGTERM works after the next start', async () => {
    const server = await spawnServer(env);
    const key = await keyFrom(server.url, mail);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const again = await spawnServer(env);
    try {
      assert.equal((await client(again.url)('GET', '/api/v1/me', { key })).status, 200);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });

  it('kill -9 mid-write loses nothing that was acknowledged', async () => {
    const server = await spawnServer(env);
    const key = await keyFrom(server.url, mail);
    const request = client(server.url);
    const org = (await request('GET', '/api/v1/me', { key })).body.data.organization.slug;
    const acknowledged: Array<{ idempotency_key: string; id: string }> = [];
    let stop = false;
    // Four writers debit 0.01 credit at a time until the process dies under them.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const idempotency_key = `w${w}-${i}`;
        try {
          const reply = await request('POST', `/api/v1/organizations/${org}/credits/debits`, {
            key,
            body: { amount: 0.01, reason: 'crash test', idempotency_key },
          });
          if (reply.status === 201) acknowledged.push({ idempotency_key, id: reply.body.data.id });
        } catch {
          return; // connection died with the process
        }
      }
    });
    // Kill mid-stream, once a fair number of writes were acknowledged (however slow the machine is).
    const deadline = Date.now() + 20_000;
    while (acknowledged.length < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await server.exited;
    assert.ok(acknowledged.length >= 25, `only ${acknowledged.length} writes were acknowledged before the kill`);

    const again = await spawnServer(env);
    try {
      const after = client(again.url);
      const balance = (await after('GET', '/api/v1/credits/balance', { key })).body;
      assert.ok(balance.credits_used >= acknowledged.length * 0.01 - 1e-9, `used ${balance.credits_used} < ${acknowledged.length} acknowledged`);
      for (const { idempotency_key, id } of acknowledged) {
        const replay = await after('POST', `/api/v1/organizations/${org}/credits/debits`, {
          key,
          body: { amount: 0.01, reason: 'crash test', idempotency_key },
        });
        assert.equal(replay.headers.get('idempotent-replayed'), 'true', idempotency_key);
        assert.equal(replay.body.data.id, id);
      }
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });

  it('SIGTERM drains: a request in flight when the signal arrives completes, then the process exits 0', async () => {
    const server = await spawnServer(env);
    const email = uniqueEmail();
    mail.delayMs = 800; // the sign-up request waits on SMTP while the signal arrives
    try {
      const pending = client(server.url)('POST', '/api/v1/agent/sign-up', { body: { email } });
      await new Promise((r) => setTimeout(r, 300));
      server.child.kill('SIGTERM');
      const reply = await pending;
      assert.equal(reply.status, 200);
      assert.equal(await server.exited, 0);
      assert.match(server.output(), /SIGTERM: draining/);
    } finally {
      mail.delayMs = 0;
    }
  });
});
