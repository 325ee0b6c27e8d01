import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../src/keys/format.js';
import { joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { brokenChecksum } from './helpers/keys.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('leaked keys: POST /api/v1/keys/leaked', () => {
  let t: TestServer;
  let reporters = 0;
  /** Each test reports from its own client address (the test talks through a trusted proxy: itself). */
  const from = () => `203.0.113.${++reporters}`;
  const report = (ip: string, body: unknown, headers: Record<string, string> = {}) =>
    t.request('POST', '/api/v1/keys/leaked', { body, headers: { 'x-forwarded-for': ip, ...headers } });
  const works = async (key: string) => (await t.request('GET', '/api/v1/me', { key })).status === 200;
  /** The leak notices `email` received, once there are at least `count` of them. */
  const leakMails = async (email: string, count: number) => {
    const notices = () => t.mail.to(email).filter((mail) => /reported as leaked/.test(mail.subject));
    while (notices().length < count) await t.mail.waitFor(email, { after: t.mail.to(email).length });
    return notices();
  };

  before(async () => {
    t = await startTestServer({ ...MANY_AGENTS, FUNCSPEC_TRUST_PROXY: '127.0.0.1', FUNCSPEC_LEAK_REPORTS_PER_IP: '5' });
  });
  after(() => t.close());

  /** An organization with its owner, an admin and a member whose key is the one that leaks. */
  async function team(): Promise<{ owner: Person; admin: Person; member: Person; org: string }> {
    const owner = await newPerson(t, 'owner');
    const org = owner.personalOrgId;
    const admin = await joinOrg(t, { key: owner.key }, org, 'admin');
    const member = await joinOrg(t, { key: owner.key }, org, 'member');
    return { owner, admin, member, org };
  }

  it('leaked-key report: a live key stops working on the next request, its owner and the admins are mailed, the audit log says where the report came from', async () => {
    const { owner, admin, member, org } = await team();
    assert.ok(await works(member.key));
    const ip = from();
    const reply = await report(
      ip,
      { keys: [`  ${member.key}\n`], source: 'public repository', url: 'https://git.example.com/acme/app/blob/main/.env' },
      { 'user-agent': 'scanner/1.0' },
    );
    assert.equal(reply.status, 202);
    assert.deepEqual(reply.body, { data: { message: 'Thank you. Every live key in the report is revoked, and its owner is told.' } });
    assertProblem(await t.request('GET', '/api/v1/me', { key: member.key }), 401, 'INVALID_API_KEY');
    assert.ok(await works(member.personalKey), "the member's keys elsewhere are not touched");

    for (const person of [member, owner, admin]) {
      const [mail] = await leakMails(person.email, 1);
      assert.match(mail!.subject, /reported as leaked and is revoked/);
      assert.match(mail!.text, new RegExp(`ending in ${member.key.slice(-4)}`));
      assert.ok(mail!.text.includes(`owned by ${member.email}`), mail!.text);
      assert.ok(!mail!.text.includes(member.key), 'never the key itself');
      assert.doesNotMatch(mail!.text, /git\.example\.com/, 'nothing the reporter chose');
    }

    const log = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=api_key.revoked`, { key: owner.key });
    assert.equal(log.status, 200);
    const entry = log.body.data.find((e: any) => e.details?.reason === 'leak_report');
    assert.ok(entry, JSON.stringify(log.body.data));
    assert.equal(entry.ip, ip, "the reporter's address");
    assert.equal(entry.user_agent, 'scanner/1.0');
    assert.equal(entry.actor.user_id, null, 'nobody signed in did it');
    assert.deepEqual(entry.details.reported, { source: 'public repository', url: 'https://git.example.com/acme/app/blob/main/.env' });
    assert.equal(entry.details.last_four, member.key.slice(-4));
    assert.doesNotMatch(JSON.stringify(log.body), new RegExp(member.key));
  });

  it('leaked-key report: 202 with the same body whatever was sent; a broken checksum, an unknown, a revoked key or any string changes nothing and mails nobody', async () => {
    const { owner, admin, member } = await team();
    const revoked = await newPerson(t, 'revoked');
    const keys = await t.request('GET', `/api/v1/organizations/${revoked.personalOrgId}/api-keys`, { key: revoked.key });
    assert.equal(
      (await t.request('DELETE', `/api/v1/organizations/${revoked.personalOrgId}/api-keys/${keys.body.data[0].id}`, { key: revoked.key })).status,
      204,
    );
    const bodies = [];
    for (const entries of [
      [brokenChecksum(member.key)],
      [generateKey('live')],
      [revoked.key],
      ['not a key', ''],
      [generateKey('test'), brokenChecksum(owner.key)],
    ]) {
      const reply = await report(from(), { keys: entries });
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      bodies.push(reply.body);
    }
    for (const body of bodies) assert.deepEqual(body, bodies[0], 'every answer is the same');
    assert.ok(await works(member.key), 'a key whose checksum fails is not looked up, let alone revoked');
    assert.ok(await works(owner.key));
    // A report that does revoke: once its mails are in, any mail of the reports before it would be too.
    assert.equal((await report(from(), { keys: [member.key] })).status, 202);
    for (const person of [member, owner, admin]) assert.equal((await leakMails(person.email, 1)).length, 1);
    assert.equal((await leakMails(revoked.email, 0)).length, 0);
  });

  it('threat: the same key reported many times at once is revoked, audited and mailed once', async () => {
    const { owner, member, org } = await team();
    const ip = from();
    const replies = await Promise.all(Array.from({ length: 5 }, () => report(ip, { keys: [member.key, member.key] })));
    assert.deepEqual(
      replies.map((r) => r.status),
      [202, 202, 202, 202, 202],
    );
    assert.equal(await works(member.key), false);
    const log = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=api_key.revoked`, { key: owner.key });
    assert.equal(log.body.data.filter((e: any) => e.details?.reason === 'leak_report').length, 1);
    // The member's personal key mails them again: once that is in, a duplicate of the first would be too.
    assert.equal((await report(from(), { keys: [member.personalKey] })).status, 202);
    const mails = await leakMails(member.email, 2);
    assert.deepEqual(mails.map((mail) => /ending in (\w{4})/.exec(mail.text)![1]).sort(), [member.key.slice(-4), member.personalKey.slice(-4)].sort());
  });

  it('leaked-key report: limited per client IP, counted before any key is looked at (429 with Retry-After; the key in the refused report keeps working)', async () => {
    const { member } = await team();
    const ip = from();
    for (let i = 0; i < 5; i += 1) assert.equal((await report(ip, { keys: [generateKey('live')] })).status, 202);
    const refused = await report(ip, { keys: [member.key] });
    assertProblem(refused, 429, 'RATE_LIMITED');
    assert.equal(refused.headers.get('retry-after'), String(refused.body.details.retry_after_seconds));
    assert.ok(await works(member.key), 'not revoked by a refused report');
    assert.equal((await report(from(), { keys: [member.key] })).status, 202, 'another client is not held back');
    assert.equal(await works(member.key), false);
  });

  it('leaked-key report: a body that is not {keys: [strings]} gets the §2 error and revokes nothing', async () => {
    const { member } = await team();
    const ip = from();
    const cases: Array<[unknown, number, string]> = [
      [{}, 422, 'VALIDATION_FAILED'],
      [{ keys: [] }, 422, 'VALIDATION_FAILED'],
      [{ keys: member.key }, 422, 'VALIDATION_FAILED'],
      [{ keys: [member.key, 7] }, 422, 'VALIDATION_FAILED'],
      [{ keys: Array.from({ length: 101 }, () => member.key) }, 422, 'VALIDATION_FAILED'],
      [{ keys: [member.key], source: 'line\u0007break' }, 422, 'VALIDATION_FAILED'],
      [[member.key], 422, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) assertProblem(await report(ip, body), status, code);
    assertProblem(
      await t.request('POST', '/api/v1/keys/leaked', {
        raw: `{"keys": ["${member.key}"`,
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      }),
      400,
      'BAD_REQUEST',
    );
    assertProblem(
      await t.request('POST', '/api/v1/keys/leaked', { raw: member.key, headers: { 'content-type': 'text/plain', 'x-forwarded-for': ip } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.ok(await works(member.key));
  });
});
