import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runFuncspec } from './helpers/operator.js';
import { joinOrg } from './helpers/orgs.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

async function orgOf(t: TestServer, key: string): Promise<string> {
  return (await t.request('GET', '/api/v1/me', { key })).body.data.organization.slug;
}

describe('credits: a real ledger', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('funcspec admin credits grant adds to the balance (fractional amounts kept exactly), at once even though the balance was just read', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    for (let i = 0; i < 3; i++) assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.total_credits, 100, 'read (and cached) first');
    const granted = await runFuncspec(['admin', 'credits', 'grant', org, '50.25', '--reason', 'launch bonus'], t.env);
    assert.equal(granted.code, 0, granted.stderr);
    const balance = await t.request('GET', '/api/v1/credits/balance', { key });
    assert.deepEqual(balance.body, { total_credits: 150.25, credits_used: 0, credits_left: 150.25 });
  });

  it('debits: 201 with the new balance; the same idempotency_key never debits twice; a changed body under it is 409', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    const debit = { amount: 12.5, reason: 'spec generation', idempotency_key: 'job-1' };
    const first = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body: debit });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(first.body.data.balance, { total_credits: 100, credits_used: 12.5, credits_left: 87.5 });
    assert.equal(first.headers.get('idempotent-replayed'), 'false');

    const again = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body: debit });
    assert.equal(again.status, 201);
    assert.equal(again.body.data.id, first.body.data.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.credits_used, 12.5);

    const changed = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body: { ...debit, amount: 13 } });
    assert.equal(changed.status, 409);
    assert.equal(changed.body.error_code, 'IDEMPOTENCY_CONFLICT');
  });

  it('the ledger lists every grant and debit newest first, to the owner only (a member is 403, another organization 404)', async () => {
    const owner = await agentKey(t);
    const org = await orgOf(t, owner.key);
    await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, {
      key: owner.key,
      body: { amount: 2.5, reason: 'first run', idempotency_key: 'ledger-1' },
    });
    await new Promise((resolve) => setTimeout(resolve, 5)); // the grant lands in a later millisecond than the debit
    assert.equal((await runFuncspec(['admin', 'credits', 'grant', org, '10', '--reason', 'goodwill'], t.env)).code, 0);
    const ledger = await t.request('GET', `/api/v1/organizations/${org}/credits/ledger`, { key: owner.key });
    assert.equal(ledger.status, 200, JSON.stringify(ledger.body));
    type Entry = { kind: string; amount: number; reason: string; actor: { email: string } | null };
    const entries: Entry[] = ledger.body.data;
    assert.deepEqual([entries[0]!.kind, entries[0]!.amount, entries[0]!.reason], ['grant', 10, 'goodwill'], 'newest first');
    // The monthly allowance is granted by the debit's own request, in the same millisecond.
    const older = entries.slice(1).map((e) => `${e.kind} ${e.amount} ${e.reason.replace(/\d{4}-\d{2}$/, 'MONTH')} by ${e.actor?.email ?? 'the plan'}`);
    assert.deepEqual(older.sort(), [`debit 2.5 first run by ${owner.email}`, 'grant 100 free plan allowance for MONTH by the plan']);
    assert.deepEqual(ledger.body.meta, { total: 3, page: 1, per: 25 });

    const member = await joinOrg(t, { key: owner.key }, org, 'admin', 'ledger-admin');
    assert.equal((await t.request('GET', `/api/v1/organizations/${org}/credits/ledger`, { key: member.key })).status, 403, 'admins see no billing');
    const stranger = await agentKey(t);
    assert.equal((await t.request('GET', `/api/v1/organizations/${org}/credits/ledger`, { key: stranger.key })).status, 404);
  });

  it('threat: no overdraft under concurrency — 30 parallel debits of 10 against 100 credits: exactly 10 succeed, balance 0', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body: { amount: 10, reason: 'burst', idempotency_key: `burst-${i}` } }),
      ),
    );
    assert.equal(replies.filter((r) => r.status === 201).length, 10);
    for (const r of replies.filter((r) => r.status !== 201)) assert.equal(r.body.error_code, 'INSUFFICIENT_CREDITS');
    assert.deepEqual((await t.request('GET', '/api/v1/credits/balance', { key })).body, { total_credits: 100, credits_used: 100, credits_left: 0 });
  });

  it('threat: one idempotency key fired 20 times at once debits exactly once', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    const body = { amount: 1, reason: 'retry storm', idempotency_key: 'same' };
    const replies = await Promise.all(Array.from({ length: 20 }, () => t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body })));
    assert.ok(
      replies.every((r) => r.status === 201),
      replies.map((r) => r.status).join(','),
    );
    assert.equal(new Set(replies.map((r) => r.body.data.id)).size, 1);
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.credits_used, 1);
  });

  it('threat: a partial write — when the audit entry of a debit cannot be written, the credits are not taken either', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    const db = t.server.ctx.db;
    const postgres = t.server.ctx.dbKind === 'postgres';
    // The audit log refuses this one action, as a full disk or a lost connection mid-request would.
    if (postgres) {
      await sql
        .raw(
          `create function fail_debit_audit() returns trigger language plpgsql as $$ begin if new.action = 'credits.debited' then raise exception 'audit unavailable'; end if; return new; end $$`,
        )
        .execute(db);
      await sql.raw('create trigger fail_debit_audit before insert on audit_log for each row execute function fail_debit_audit()').execute(db);
    } else {
      await sql
        .raw(
          "create trigger fail_debit_audit before insert on audit_log when new.action = 'credits.debited' begin select raise(abort, 'audit unavailable'); end",
        )
        .execute(db);
    }
    try {
      const reply = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, {
        key,
        body: { amount: 10, reason: 'unaudited', idempotency_key: 'no-audit' },
      });
      assert.equal(reply.status, 500, JSON.stringify(reply.body));
    } finally {
      await sql.raw(postgres ? 'drop trigger fail_debit_audit on audit_log' : 'drop trigger fail_debit_audit').execute(db);
      if (postgres) await sql.raw('drop function fail_debit_audit()').execute(db);
    }
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.credits_used, 0, 'no credits taken without an audit entry');
    // The retry, now that the audit log works, debits once and is audited.
    const retry = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, {
      key,
      body: { amount: 10, reason: 'unaudited', idempotency_key: 'no-audit' },
    });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get('idempotent-replayed'), 'false');
    const audited = await db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'credits.debited')
      .where('target_id', '=', retry.body.data.id)
      .execute();
    assert.equal(audited.length, 1);
  });

  it('threat: a retried debit racing its own first attempt is answered as that debit, not 402, when only one fits', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    const body = { amount: 60, reason: 'big job', idempotency_key: 'only-one-fits' };
    const replies = await Promise.all(Array.from({ length: 10 }, () => t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body })));
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(10).fill(201),
      replies.map((r) => r.body.error_code ?? r.status).join(','),
    );
    assert.equal(new Set(replies.map((r) => r.body.data.id)).size, 1);
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.credits_used, 60);
  });

  it('bad debits change nothing: negative, zero, too precise, missing reason → 422; another org → 404', async () => {
    const { key } = await agentKey(t);
    const { key: other } = await agentKey(t);
    const org = await orgOf(t, key);
    for (const body of [
      { amount: -1, reason: 'x', idempotency_key: 'a' },
      { amount: 0, reason: 'x', idempotency_key: 'b' },
      { amount: 0.0000001, reason: 'x', idempotency_key: 'c' },
      { amount: '5', reason: 'x', idempotency_key: 'd' },
      { amount: 5, idempotency_key: 'e' },
      { amount: 5, reason: 'x', idempotency_key: 'k'.repeat(300) },
    ]) {
      const reply = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, { key, body });
      assert.equal(reply.status, 422, JSON.stringify(body));
    }
    const foreign = await t.request('POST', `/api/v1/organizations/${org}/credits/debits`, {
      key: other,
      body: { amount: 1, reason: 'x', idempotency_key: 'f' },
    });
    assert.equal(foreign.status, 404);
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.credits_used, 0);
  });

  it("the plan's monthly allowance is granted once per calendar month and carries over", async () => {
    const { key } = await agentKey(t);
    const first = await t.request('GET', '/api/v1/credits/balance', { key });
    assert.equal(first.body.total_credits, 100);
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.total_credits, 100, 'not twice in one month');
    t.clock.advance(32 * 86_400_000);
    const next = await t.request('GET', '/api/v1/credits/balance', { key });
    assert.equal(next.body.total_credits, 200, 'next month adds another 100');
    t.clock.advance(-32 * 86_400_000);
  });

  it('operator mistakes: unknown organization exits 4, bad amount exits 2, with one clear line', async () => {
    const missing = await runFuncspec(['admin', 'credits', 'grant', 'no-such-org', '5'], t.env);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /No organization with id or slug "no-such-org"/);
    const { key } = await agentKey(t);
    const bad = await runFuncspec(['admin', 'credits', 'grant', await orgOf(t, key), '-3'], t.env);
    assert.equal(bad.code, 2, bad.stderr);
  });
});

describe('rate limits by plan: X-RateLimit-* headers and 429', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('a free key sees limit 1000; after set-plan enterprise --rate-limit 5 the 6th request is 429 with Retry-After = Reset − now', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    const first = await t.request('GET', '/api/v1/me', { key });
    assert.equal(first.headers.get('x-ratelimit-limit'), '1000');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '998', 'orgOf() and this call used two');

    const set = await runFuncspec(['admin', 'org', 'set-plan', org, 'enterprise', '--rate-limit', '5'], t.env);
    assert.equal(set.code, 0, set.stderr);

    // The plan applies at once; this key already used 2 of its 5 (the two /me calls above).
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await t.request('GET', '/api/v1/credits/balance', { key });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('x-ratelimit-limit'), '5');
      remaining.push(reply.headers.get('x-ratelimit-remaining')!);
    }
    assert.deepEqual(remaining, ['2', '1', '0'], 'remaining counts down by one');

    const limited = await t.request('GET', '/api/v1/credits/balance', { key });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error_code, 'RATE_LIMITED');
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    assert.equal(limited.body.details.retry_after_seconds, retryAfter);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(reset - now - retryAfter) <= 1, `reset ${reset} now ${now} retry ${retryAfter}`);
  });

  it('threat: a burst past the limit — with the limit at N, N+50 concurrent requests admit exactly N', async () => {
    const N = 30;
    const { key } = await agentKey(t);
    const org = await orgOf(t, key); // one request used
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', org, 'enterprise', '--rate-limit', String(N + 1)], t.env)).code, 0);
    const replies = await Promise.all(Array.from({ length: N + 50 }, () => t.request('GET', '/api/v1/credits/balance', { key })));
    const admitted = replies.filter((r) => r.status === 200);
    assert.equal(admitted.length, N);
    assert.ok(replies.filter((r) => r.status !== 200).every((r) => r.status === 429 && r.body.error_code === 'RATE_LIMITED'));
    const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((a, b) => a - b);
    assert.deepEqual(
      remaining,
      Array.from({ length: N }, (_, i) => i),
      'each admitted request saw its own remaining count',
    );
  });

  it('set-plan pro raises the limit to 10000 at once; unknown plans are refused', async () => {
    const { key } = await agentKey(t);
    const org = await orgOf(t, key);
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', org, 'pro'], t.env)).code, 0);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).headers.get('x-ratelimit-limit'), '10000');
    const bad = await runFuncspec(['admin', 'org', 'set-plan', org, 'platinum'], t.env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown plan "platinum"/);
    const noLimitOnPro = await runFuncspec(['admin', 'org', 'set-plan', org, 'pro', '--rate-limit', '5'], t.env);
    assert.equal(noLimitOnPro.code, 2);
  });
});
