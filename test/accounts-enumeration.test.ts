import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../src/accounts/password-hashing.js';
import { GOOD_PASSWORD, verifiedUser } from './helpers/accounts.js';
import type { Reply } from './helpers/http.js';
import { agentKey, startTestServer, uniqueEmail, type TestServer } from './helpers/server.js';

// Threat: an attacker learns which e-mail addresses have accounts (to target them, or to learn who
// uses the service) from differences in answers, mails or timing between known and unknown addresses.

/** Everything a caller sees of an answer except the per-request id and the random values of cookies (their names and attributes stay). */
function visible(reply: Reply) {
  const { request_id: _ignored, ...body } = (reply.body ?? {}) as Record<string, unknown>;
  const cookies = reply.headers.getSetCookie().map((cookie) => cookie.replace(/^([^=]+)=[^;]*/, '$1=<random>'));
  return { status: reply.status, contentType: reply.headers.get('content-type'), body, cookies };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('no account enumeration', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '100000',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
    });
  });
  after(() => t.close());

  it('sign-up: a known and an unknown e-mail get the identical 202, and each gets exactly one mail', async () => {
    const known = await verifiedUser(t);
    const unknown = uniqueEmail('unknown');
    const knownMails = t.mail.to(known.email).length;
    const a = await t.request('POST', '/api/v1/auth/sign-up', { body: { email: known.email, password: 'Totally-Different-Phrase-9' } });
    const b = await t.request('POST', '/api/v1/auth/sign-up', { body: { email: unknown, password: 'Totally-Different-Phrase-9' } });
    assert.equal(a.status, 202);
    assert.deepEqual(visible(a), visible(b));
    const knownMail = await t.mail.waitFor(known.email, { after: knownMails });
    const unknownMail = await t.mail.waitFor(unknown);
    assert.match(knownMail.subject, /already have/i, 'the owner of the known address is told, by mail only');
    assert.match(unknownMail.subject, /confirm/i);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.mail.to(known.email).length, knownMails + 1, 'exactly one mail to the known address');
    assert.equal(t.mail.to(unknown).length, 1, 'exactly one mail to the unknown address');
    // The known account is untouched: its password is still the old one.
    assert.equal((await t.request('POST', '/api/v1/auth/login', { body: { email: known.email, password: GOOD_PASSWORD } })).status, 200);
  });

  it('forgot-password and resend-verification: identical 202 for known and unknown e-mails', async () => {
    const known = await verifiedUser(t);
    for (const path of ['/api/v1/auth/password/forgot', '/api/v1/auth/resend-verification']) {
      const a = await t.request('POST', path, { body: { email: known.email } });
      const b = await t.request('POST', path, { body: { email: uniqueEmail('unknown') } });
      assert.equal(a.status, 202, path);
      assert.deepEqual(visible(a), visible(b), path);
    }
  });

  it('login failure: unknown e-mail, wrong password and an account without a password give the identical 401 INVALID_CREDENTIALS', async () => {
    const known = await verifiedUser(t);
    const { email: agentOnly } = await agentKey(t); // an agent account has no password
    const wrong = await t.request('POST', '/api/v1/auth/login', { body: { email: known.email, password: 'Not-The-Password-1' } });
    const unknown = await t.request('POST', '/api/v1/auth/login', { body: { email: uniqueEmail('nobody'), password: 'Not-The-Password-1' } });
    const noPassword = await t.request('POST', '/api/v1/auth/login', { body: { email: agentOnly, password: 'Not-The-Password-1' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error_code, 'INVALID_CREDENTIALS');
    assert.deepEqual(visible(unknown), visible(wrong));
    assert.deepEqual(visible(noPassword), visible(wrong));
  });

  it('an unverified account answers EMAIL_NOT_VERIFIED only after the right password; a wrong one gets the common 401', async () => {
    const email = uniqueEmail('unverified');
    await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } });
    const wrong = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Not-The-Password-1' } });
    const unknown = await t.request('POST', '/api/v1/auth/login', { body: { email: uniqueEmail('nobody'), password: 'Not-The-Password-1' } });
    assert.deepEqual(visible(wrong), visible(unknown));
    const right = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(right.status, 403);
    assert.equal(right.body.error_code, 'EMAIL_NOT_VERIFIED');
  });

  it('login-failure timing: unknown vs known e-mail differ by less than 20 % of one password hash (medians, interleaved)', async () => {
    const known = await verifiedUser(t);
    const stored = await hashPassword('some-password-to-time');
    // The work a request costs is read as this process's CPU time (the server runs in it, argon2 on its
    // thread pool included), beside the wall-clock time an attacker sees: other programs loading the
    // machine stretch wall-clock times at random, but not the work this process does per request.
    const cost = async (action: () => Promise<unknown>) => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await action();
      const used = process.cpuUsage(cpu);
      return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
    };
    const hashCosts: number[] = [];
    for (let i = 0; i < 9; i++) hashCosts.push((await cost(() => verifyPassword(stored, 'some-other-password'))).cpu);
    const hashMs = median(hashCosts);

    const time = (email: string) =>
      cost(async () => {
        const reply = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'Not-The-Password-1' } });
        assert.equal(reply.status, 401);
      });
    // Warm both paths (connection, prepared statements, the dummy hash).
    for (let i = 0; i < 3; i++) await time(known.email), await time(uniqueEmail('warm'));

    // Rounds of interleaved pairs; the first round whose medians agree passes. A real leak (skipping the
    // hash for unknown e-mails) differs by a whole hash in every round, so retrying cannot hide it.
    const rounds: string[] = [];
    for (let round = 0; round < 3; round++) {
      const knownCosts: Array<{ wall: number; cpu: number }> = [];
      const unknownCosts: Array<{ wall: number; cpu: number }> = [];
      for (let i = 0; i < 25; i++) {
        if (i % 2 === 0) {
          knownCosts.push(await time(known.email));
          unknownCosts.push(await time(uniqueEmail('nobody')));
        } else {
          unknownCosts.push(await time(uniqueEmail('nobody')));
          knownCosts.push(await time(known.email));
        }
      }
      const [knownCpu, unknownCpu] = [median(knownCosts.map((c) => c.cpu)), median(unknownCosts.map((c) => c.cpu))];
      const [knownWall, unknownWall] = [median(knownCosts.map((c) => c.wall)), median(unknownCosts.map((c) => c.wall))];
      const difference = Math.abs(knownCpu - unknownCpu);
      rounds.push(
        `CPU known ${knownCpu.toFixed(2)} ms, unknown ${unknownCpu.toFixed(2)} ms, difference ${difference.toFixed(2)} ms, one hash ${hashMs.toFixed(2)} ms ` +
          `(wall-clock known ${knownWall.toFixed(2)} ms, unknown ${unknownWall.toFixed(2)} ms)`,
      );
      if (difference < 0.2 * hashMs) {
        console.log(`timing: ${rounds.at(-1)}`);
        return;
      }
    }
    assert.fail(`timing differs by 20 % of a hash or more in every round:\n${rounds.join('\n')}`);
  });
});

describe('no account enumeration by the time a mailed link takes to store', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000', FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL: '100000' });
  });
  after(() => t.close());

  // Threat: forgot-password and resend-verification answer the same 202 for every address, but for a
  // known one the answer waited until its link was stored (a transaction, an audit entry): on
  // PostgreSQL that took the answer from ~10 ms to ~19 ms, so a few requests told known addresses from
  // unknown ones. The answer must not wait for that work: here it is held up, and the 202 must come anyway.
  it('forgot-password and resend-verification answer a known address without waiting for its link to be stored', async () => {
    const verified = await verifiedUser(t);
    const waiting = uniqueEmail('waiting');
    await t.request('POST', '/api/v1/auth/sign-up', { body: { email: waiting, password: GOOD_PASSWORD } });
    await t.mail.waitFor(waiting);

    const realDb = t.server.ctx.db;
    for (const [path, email] of [
      ['/api/v1/auth/password/forgot', verified.email],
      ['/api/v1/auth/resend-verification', waiting],
    ] as const) {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const held = new WeakSet<object>();
      // Every write of a link into email_tokens is held up until the gate opens.
      t.server.ctx.db = realDb.withPlugin({
        transformQuery(args) {
          const node = args.node as { kind: string; into?: { table?: { identifier?: { name?: string } } } };
          if (node.kind === 'InsertQueryNode' && node.into?.table?.identifier?.name === 'email_tokens') held.add(args.queryId);
          return args.node;
        },
        async transformResult(args) {
          if (held.has(args.queryId)) await gate;
          return args.result;
        },
      });
      try {
        const mails = t.mail.to(email).length;
        const start = performance.now();
        const reply = await t.request('POST', path, { body: { email }, signal: AbortSignal.timeout(2000) }).catch((error: Error) => error);
        const elapsed = performance.now() - start;
        assert.ok(!(reply instanceof Error), `${path}: no answer while the link could not be stored (${(reply as Error).message})`);
        assert.equal(reply.status, 202, path);
        assert.ok(elapsed < 1000, `${path}: answered in ${elapsed.toFixed(0)} ms`);
        release();
        const mail = await t.mail.waitFor(email, { after: mails });
        assert.match(mail.text, /token=/, `${path}: the link is stored and mailed after the answer`);
      } finally {
        release();
        t.server.ctx.db = realDb;
      }
    }
  });
});
