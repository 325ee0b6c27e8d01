import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/context.js';
import { isoTime } from '../src/lib/time.js';
import { startServer } from '../src/server.js';
import { joinOrg, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { assertProblem } from './helpers/http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('key hygiene mails: expiry warnings and the weekly digest of unused keys', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer(MANY_AGENTS);
  });
  afterEach(() => t.close());

  const pass = () => t.server.keyHygiene.runOnce();
  const expiryMails = (email: string) => t.mail.to(email).filter((mail) => /expires on/.test(mail.subject));
  /** The digests `email` got about the organization named `orgName`. */
  const digests = (email: string, orgName: string) => t.mail.to(email).filter((mail) => mail.subject.endsWith(` in ${orgName} unused for 90 days`));

  async function createKey(person: Person, org: string, name: string, lifetimeMs?: number): Promise<{ id: string; last_four: string }> {
    const body = { name, ...(lifetimeMs ? { expires_at: isoTime(t.clock.now() + lifetimeMs) } : {}) };
    const reply = await t.request('POST', `/api/v1/organizations/${org}/api-keys`, { key: person.key, body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.data;
  }

  /** An organization with its owner, an admin and a member. */
  async function team() {
    const owner = await newPerson(t, 'owner');
    const org = owner.personalOrgId;
    const orgName: string = (await t.request('GET', `/api/v1/organizations/${org}`, { key: owner.key })).body.data.name;
    return { owner, org, orgName, admin: await joinOrg(t, { key: owner.key }, org, 'admin'), member: await joinOrg(t, { key: owner.key }, org, 'member') };
  }

  it("key hygiene: a key's owner is mailed once, a week before it expires; not earlier, not again, not for a revoked key or one made to live under a week", async () => {
    const { owner, admin, member, org } = await team();
    const tenDays = await createKey(member, org, 'ten days', 10 * DAY);
    await createKey(member, org, 'three days', 3 * DAY);
    const revoked = await createKey(member, org, 'revoked', 10 * DAY);
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${revoked.id}`, { key: member.key })).status, 204);

    assert.equal((await pass()).expiryWarnings, 0, 'ten days out: too early');
    t.clock.advance(3 * DAY - HOUR);
    assert.equal((await pass()).expiryWarnings, 0, 'a week and an hour out: still too early');
    t.clock.advance(2 * HOUR);
    assert.equal((await pass()).expiryWarnings, 1);
    const [mail, ...more] = expiryMails(member.email);
    assert.equal(more.length, 0);
    assert.match(mail!.subject, /^Your FuncSpec API key "ten days" expires on \d{4}-\d{2}-\d{2}$/);
    assert.match(mail!.text, new RegExp(`ending in ${tenDays.last_four}\\)`));
    assert.match(mail!.text, /"key_expiry_mails": false/, 'says how to turn it off');
    assert.deepEqual([...expiryMails(owner.email), ...expiryMails(admin.email)], [], 'the owner of the key, nobody else');

    assert.equal((await pass()).expiryWarnings, 0, 'once');
    t.clock.advance(4 * DAY);
    assert.equal((await pass()).expiryWarnings, 0, 'expired: nothing more');
    assert.equal(expiryMails(member.email).length, 1);
  });

  it('key hygiene: owners and admins get a digest of keys unused for 90 days, at most once a week while there are such keys', async () => {
    const { owner, admin, member, org, orgName } = await team();
    const forgotten = await createKey(member, org, 'forgotten');
    t.clock.advance(60 * DAY);
    assert.equal((await pass()).digests, 0, 'nothing unused for 90 days yet');
    t.clock.advance(31 * DAY);
    assert.equal((await t.request('GET', '/api/v1/me', { key: owner.key })).status, 200, "the owner's key is in use");
    await pass();
    for (const person of [owner, admin]) {
      const [digest, ...more] = digests(person.email, orgName);
      assert.equal(more.length, 0);
      assert.match(digest!.subject, /^\d+ FuncSpec API keys in .+ unused for 90 days$/);
      assert.ok(digest!.text.includes(`"forgotten" (ending in ${forgotten.last_four}) in`), digest!.text);
      assert.match(
        digest!.text,
        new RegExp(`"forgotten" \\(ending in ${forgotten.last_four}\\) in [^\\n]*, owned by ${member.email.replace(/[.+]/g, '\\$&')}: never used`),
      );
      assert.ok(!digest!.text.includes(`ending in ${owner.key.slice(-4)}`), 'a key in use is not listed');
      assert.ok(!digest!.text.includes(owner.key) && !digest!.text.includes(member.key), 'never a key itself');
    }
    assert.deepEqual(digests(member.email, orgName), [], "members do not manage other people's keys");

    await pass();
    t.clock.advance(6 * DAY);
    await pass();
    assert.equal(digests(owner.email, orgName).length, 1, 'not again within the week');
    t.clock.advance(DAY);
    await pass();
    assert.equal(digests(owner.email, orgName).length, 2, 'again a week later');
    assert.equal((await t.request('DELETE', `/api/v1/organizations/${org}/api-keys/${forgotten.id}`, { key: member.key })).status, 204);
  });

  it('key hygiene: each mail can be turned off per organization by an admin (PATCH /organizations/:org), and on again', async () => {
    const { owner, admin, member, org, orgName } = await team();
    await createKey(member, org, 'expiring', 10 * DAY);
    assertProblem(await t.request('PATCH', `/api/v1/organizations/${org}`, { key: member.key, body: { key_expiry_mails: false } }), 403, 'FORBIDDEN');
    assertProblem(await t.request('PATCH', `/api/v1/organizations/${org}`, { key: admin.key, body: { key_expiry_mails: 'no' } }), 422, 'VALIDATION_FAILED');
    const off = await t.request('PATCH', `/api/v1/organizations/${org}`, { key: admin.key, body: { key_expiry_mails: false, unused_keys_digest: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.data.key_expiry_mails, false);
    assert.equal(off.body.data.unused_keys_digest, false);
    assert.equal((await t.request('GET', `/api/v1/organizations/${org}`, { key: member.key })).body.data.key_expiry_mails, false);

    t.clock.advance(4 * DAY);
    await pass();
    assert.deepEqual(expiryMails(member.email), []);
    t.clock.advance(90 * DAY);
    await pass();
    assert.deepEqual([...digests(owner.email, orgName), ...digests(admin.email, orgName)], []);

    const on = await t.request('PATCH', `/api/v1/organizations/${org}`, { key: owner.key, body: { unused_keys_digest: true } });
    assert.equal(on.body.data.unused_keys_digest, true);
    await pass();
    assert.equal(digests(owner.email, orgName).length, 1);
    const log = await t.request('GET', `/api/v1/organizations/${org}/audit-log?action=organization.updated`, { key: owner.key });
    assert.ok(
      log.body.data.some((entry: any) => entry.details.key_expiry_mails?.from === true && entry.details.key_expiry_mails?.to === false),
      JSON.stringify(log.body.data),
    );
  });

  it('threat: two server processes on one database, passing at the same moments, send each mail once', async () => {
    const { owner, member, org, orgName } = await team();
    const keys = await Promise.all(['a', 'b', 'c'].map((name) => createKey(member, org, name, 100 * DAY)));
    const second = await startServer(loadConfig(t.env), { clock: t.clock, log: createLogger('silent') });
    try {
      t.clock.advance(94 * DAY); // every key unused for 94 days, and 6 days from its end
      // Usage counted so far goes in first: in one test process, a write transaction held by one server
      // would block the other's SQLite connection (separate processes simply wait their turn).
      await t.server.ctx.usage.flush();
      const results = await Promise.all([pass(), second.keyHygiene.runOnce(), pass(), second.keyHygiene.runOnce()]);
      assert.equal(
        results.reduce((sum, r) => sum + r.expiryWarnings, 0),
        3,
        JSON.stringify(results),
      );
      const warned = expiryMails(member.email)
        .map((mail) => /ending in (\w{4})\)/.exec(mail.text)![1])
        .sort();
      assert.deepEqual(warned, keys.map((key) => key.last_four).sort(), 'each key once');
      assert.equal(digests(owner.email, orgName).length, 1, 'one digest for the organization');
      assert.equal(
        results.reduce((sum, r) => sum + r.digests, 0),
        3,
        "one per organization with unused keys: the team's, and the admin's and the member's own",
      );
    } finally {
      await second.close();
    }
  });
});

describe('key hygiene mails: the timer', () => {
  it('key hygiene: each process runs the pass on its own timer (FUNCSPEC_KEY_HYGIENE_INTERVAL) and stops it on close', async () => {
    const t = await startTestServer({ ...MANY_AGENTS, FUNCSPEC_KEY_HYGIENE_INTERVAL: '50ms' });
    try {
      const person = await newPerson(t, 'timer');
      const reply = await t.request('POST', `/api/v1/organizations/${person.personalOrgId}/api-keys`, {
        key: person.key,
        body: { name: 'expiring', expires_at: isoTime(t.clock.now() + 10 * DAY) },
      });
      assert.equal(reply.status, 201);
      const before = t.mail.to(person.email).length;
      t.clock.advance(4 * DAY);
      const mail = await t.mail.waitFor(person.email, { after: before });
      assert.match(mail.subject, /"expiring" expires on/);
    } finally {
      await t.close();
    }
  });
});
