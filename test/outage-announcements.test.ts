/**
 * Threat: a change that ends a key's powers is committed while Redis is down, and a process that had the
 * key cached keeps serving it once Redis is back (the announcement was lost with the outage). The change
 * and its announcement (the `auth` stamp in the database) commit in one transaction, so there is no
 * half-kept promise: the change holds on every process from the first request Redis lets through.
 *
 * Two server processes on the suite's database and a private Redis that keeps its data (append-only
 * file), stopped and started again as an operator would see it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBase62 } from '../src/lib/random.js';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { freshDatabase, type TestDatabase } from './helpers/databases.js';
import { client } from './helpers/http.js';
import { MailTrap } from './helpers/mailtrap.js';
import { invitationToken } from './helpers/orgs.js';
import { spawnPair, type ServerProcess } from './helpers/process.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/services.js';
import { uniqueEmail } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a change made while Redis is down holds on every process once Redis is back (never a mix)', () => {
  let redis: PrivateRedis;
  let db: TestDatabase;
  let mail: MailTrap;
  let a: ServerProcess;
  let b: ServerProcess;
  let stopServers: () => Promise<void>;

  before(async () => {
    redis = await startPrivateRedis({ persistent: true }); // the Debian package redis-server
    db = await freshDatabase();
    mail = await new MailTrap().start();
    const env = {
      DATABASE_URL: db.url,
      FUNCSPEC_DATA_DIR: db.dataDir,
      FUNCSPEC_SECRET: randomBase62(40),
      SMTP_URL: mail.url,
      REDIS_URL: redis.url,
      FUNCSPEC_REDIS_PREFIX: `t${randomBase62(8)}:`,
    };
    ({ a, b, stop: stopServers } = await spawnPair(env));
  });
  after(async () => {
    await stopServers();
    await redis.close();
    await mail.close();
    await db.drop();
  });

  /** The first answer a process gives once Redis lets key-authenticated requests through again (503 until then). */
  async function firstAnswerAfterOutage(url: string, key: string): Promise<number> {
    for (let i = 0; i < 150; i++) {
      const reply = await client(url)('GET', '/api/v1/me', { key });
      if (reply.status !== 503) return reply.status;
      await sleep(100);
    }
    throw new Error(`${url} still answers 503`);
  }

  it('revocation, member removal and rotation during the outage: each key is refused by both processes on the first request after Redis is back', async () => {
    const atA = client(a.url);
    const peerA = { request: atA, mail };
    // The owner works through a web session (which needs no Redis); the member through theirs.
    const owner = await verifiedUser(peerA);
    const ownerCookie = await loginCookie(peerA, owner.email);
    const org = (await atA('POST', '/api/v1/organizations', { cookie: ownerCookie, body: { name: 'Outage drill' } })).body.data.id as string;
    const newKey = async (cookie: string, name: string) => {
      const made = await atA('POST', `/api/v1/organizations/${org}/api-keys`, { cookie, body: { name } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.data as { id: string; key: string };
    };
    const member = await verifiedUser(peerA, uniqueEmail('member'));
    const memberCookie = await loginCookie(peerA, member.email);
    const mailsBefore = mail.to(member.email).length;
    const invited = await atA('POST', `/api/v1/organizations/${org}/invitations`, { cookie: ownerCookie, body: { email: member.email, role: 'member' } });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const token = invitationToken(await mail.waitFor(member.email, { after: mailsBefore }));
    assert.equal((await atA('POST', '/api/v1/invitations/accept', { cookie: memberCookie, body: { token } })).status, 200);

    const revoked = await newKey(ownerCookie, 'revoked during the outage');
    const rotated = await newKey(ownerCookie, 'rotated during the outage');
    const members = await newKey(memberCookie, "member's key");
    const bystander = await newKey(ownerCookie, 'untouched');
    for (const key of [revoked, rotated, members, bystander]) {
      for (const url of [a.url, b.url]) {
        for (let i = 0; i < 2; i++) assert.equal((await client(url)('GET', '/api/v1/me', { key: key.key })).status, 200, 'known and cached by both');
      }
    }

    await redis.stop();
    assert.equal((await atA('GET', '/api/v1/me', { key: bystander.key })).status, 503, 'keys fail closed while Redis is down');
    const revoke = await atA('DELETE', `/api/v1/organizations/${org}/api-keys/${revoked.id}`, { cookie: ownerCookie });
    assert.equal(revoke.status, 204, JSON.stringify(revoke.body));
    const removal = await atA('DELETE', `/api/v1/organizations/${org}/members/${member.id}`, { cookie: ownerCookie });
    assert.equal(removal.status, 204, JSON.stringify(removal.body));
    const rotation = await atA('POST', `/api/v1/organizations/${org}/api-keys/${rotated.id}/rotate`, { cookie: ownerCookie, body: {} });
    assert.equal(rotation.status, 201, JSON.stringify(rotation.body));
    await redis.start();

    for (const url of [a.url, b.url]) {
      assert.equal(await firstAnswerAfterOutage(url, bystander.key), 200, `${url}: an untouched key works again`);
      for (const [what, key] of [
        ['revoked', revoked],
        ['rotated away', rotated],
        ["removed member's", members],
      ] as const) {
        const reply = await client(url)('GET', '/api/v1/me', { key: key.key });
        assert.equal(reply.status, 401, `${url}: the ${what} key is refused`);
        assert.equal(reply.body.error_code, 'INVALID_API_KEY');
      }
      assert.equal((await client(url)('GET', '/api/v1/me', { key: rotation.body.data.key })).status, 200, `${url}: the rotated-in key works`);
    }
    // What the audit log says happened, happened.
    const audit = await atA('GET', `/api/v1/organizations/${org}/audit-log?per=100`, { cookie: ownerCookie });
    const outcomes = new Map((audit.body.data as Array<{ action: string; outcome: string }>).map((e) => [e.action, e.outcome]));
    for (const action of ['api_key.revoked', 'member.removed', 'api_key.rotated']) assert.equal(outcomes.get(action), 'success', action);
  });
});
