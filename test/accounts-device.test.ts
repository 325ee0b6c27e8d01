import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertOrganization } from '../src/orgs/store.js';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

interface Member {
  cookie: string;
  userId: string;
  orgId: string;
  orgSlug: string;
}

let orgCounter = 0;
async function member(t: TestServer): Promise<Member> {
  const user = await verifiedUser(t);
  orgCounter += 1;
  const org = await insertOrganization(t.server.ctx.db, Date.now(), {
    name: `Acme ${orgCounter}`,
    slug: `acme-${orgCounter}-${user.id.slice(-6).toLowerCase()}`,
    ownerId: user.id,
  });
  return { cookie: await loginCookie(t, user.email), userId: user.id, orgId: org.id, orgSlug: org.slug };
}

async function start(t: TestServer, clientName = 'ada-laptop') {
  const reply = await t.request('POST', '/api/v1/auth/device/code', { body: { client_name: clientName } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data as {
    device_code: string;
    user_code: string;
    verification_uri: string;
    verification_uri_complete: string;
    expires_in: number;
    interval: number;
  };
}

function poll(t: TestServer, deviceCode: string) {
  return t.request('POST', '/api/v1/auth/device/token', { body: { device_code: deviceCode } });
}

function approve(t: TestServer, m: Member, userCode: string, organization = m.orgId) {
  return t.request('POST', '/api/v1/auth/device/approve', { cookie: m.cookie, body: { user_code: userCode, organization_id: organization } });
}

describe('device authorization (CLI login through the browser)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ PUBLIC_URL: 'https://specs.example.com', FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS: '1000' });
  });
  after(() => t.close());

  it('code pair → pending → approval on /device for a picked organization → the poll gets a named key once', async () => {
    const m = await member(t);
    const pair = await start(t);
    assert.match(pair.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(pair.verification_uri, 'https://specs.example.com/device');
    assert.equal(pair.verification_uri_complete, `https://specs.example.com/device?user_code=${pair.user_code}`);
    assert.equal(pair.expires_in, 900);
    assert.equal(pair.interval, 5);
    assert.ok(pair.device_code.length >= 43);

    const pending = await poll(t, pair.device_code);
    assert.equal(pending.status, 400);
    assert.equal(pending.body.error_code, 'AUTHORIZATION_PENDING');
    assert.equal(pending.headers.get('content-type'), 'application/problem+json; charset=utf-8');

    const approved = await approve(t, m, pair.user_code.toLowerCase().replace('-', ' '), m.orgSlug); // typed loosely, org by slug
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.data.client_name, 'ada-laptop');
    assert.equal(approved.body.data.organization.id, m.orgId);

    t.clock.advance(5000);
    const granted = await poll(t, pair.device_code);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.match(granted.body.data.api_key, /^fs_live_[0-9A-Za-z]{38}$/);
    assert.deepEqual(granted.body.data.organization, { id: m.orgId, name: approved.body.data.organization.name, slug: m.orgSlug });
    const me = await t.request('GET', '/api/v1/me', { key: granted.body.data.api_key });
    assert.equal(me.status, 200);
    assert.equal(me.body.data.organization.id, m.orgId);
    assert.equal(me.body.data.user.id, m.userId);
    assert.equal(me.body.data.api_key.name, 'funcspec CLI on ada-laptop');
    const row = await t.server.ctx.db.selectFrom('api_keys').selectAll().where('user_id', '=', m.userId).executeTakeFirstOrThrow();
    assert.equal(row.kind, 'cli');
    assert.equal(row.sealed_key, null, 'a CLI key is not kept in any recoverable form');

    t.clock.advance(5000);
    const reused = await poll(t, pair.device_code);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error_code, 'EXPIRED_TOKEN', 'the device code is single use');
  });

  it('before deciding, inspect tells the signed-in user which client asked, from which address and when; it changes nothing', async () => {
    const m = await member(t);
    const pair = await start(t, 'build-server-7');
    const inspected = await t.request('POST', '/api/v1/auth/device/inspect', { cookie: m.cookie, body: { user_code: pair.user_code.toLowerCase() } });
    assert.equal(inspected.status, 200, JSON.stringify(inspected.body));
    assert.equal(inspected.body.data.client_name, 'build-server-7');
    assert.equal(inspected.body.data.requested_ip, '127.0.0.1');
    assert.ok(Math.abs(Date.parse(inspected.body.data.requested_at) - t.clock.now()) < 5_000);
    assert.equal(Date.parse(inspected.body.data.expires_at) - Date.parse(inspected.body.data.requested_at), 900_000);
    assert.equal((await poll(t, pair.device_code)).body.error_code, 'AUTHORIZATION_PENDING', 'inspecting approved nothing');

    const unknown = await t.request('POST', '/api/v1/auth/device/inspect', { cookie: m.cookie, body: { user_code: 'BCDF-GHJK' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error_code, 'USER_CODE_INVALID');
    const { key } = await agentKey(t);
    const byKey = await t.request('POST', '/api/v1/auth/device/inspect', { key, body: { user_code: pair.user_code } });
    assert.equal(byKey.status, 401, 'a key cannot look at device logins: a signed-in person must');
    assert.equal((await approve(t, m, pair.user_code)).status, 200);
    const decided = await t.request('POST', '/api/v1/auth/device/inspect', { cookie: m.cookie, body: { user_code: pair.user_code } });
    assert.equal(decided.body.error_code, 'USER_CODE_INVALID', 'only pending logins are shown');
  });

  it('polling faster than the interval gets SLOW_DOWN and a longer interval', async () => {
    const pair = await start(t);
    assert.equal((await poll(t, pair.device_code)).body.error_code, 'AUTHORIZATION_PENDING');
    const fast = await poll(t, pair.device_code);
    assert.equal(fast.status, 400);
    assert.equal(fast.body.error_code, 'SLOW_DOWN');
    assert.equal(fast.body.details.interval, 10);
    t.clock.advance(5000);
    assert.equal((await poll(t, pair.device_code)).body.error_code, 'SLOW_DOWN', 'the old interval is no longer enough');
    t.clock.advance(15_000);
    const ok = await poll(t, pair.device_code);
    assert.equal(ok.body.error_code, 'AUTHORIZATION_PENDING');
    assert.equal(ok.body.details.interval, 15);
  });

  it('threat: an approved code polled 10 times at once yields exactly one key', async () => {
    const m = await member(t);
    const pair = await start(t);
    assert.equal((await approve(t, m, pair.user_code)).status, 200);
    const replies = await Promise.all(Array.from({ length: 10 }, () => poll(t, pair.device_code)));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => r.body.error_code ?? r.status).join(','));
    const keys = await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', m.userId).execute();
    assert.equal(keys.length, 1);
  });

  it('deny → ACCESS_DENIED; the code cannot be approved afterwards', async () => {
    const m = await member(t);
    const pair = await start(t);
    const denied = await t.request('POST', '/api/v1/auth/device/deny', { cookie: m.cookie, body: { user_code: pair.user_code } });
    assert.equal(denied.status, 200);
    const reply = await poll(t, pair.device_code);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error_code, 'ACCESS_DENIED');
    assert.equal((await approve(t, m, pair.user_code)).body.error_code, 'USER_CODE_INVALID');
  });

  it('an expired code pair: EXPIRED_TOKEN for the CLI, USER_CODE_INVALID for the approver', async () => {
    const m = await member(t);
    const pair = await start(t);
    t.clock.advance(15 * 60_000 + 1000);
    assert.equal((await poll(t, pair.device_code)).body.error_code, 'EXPIRED_TOKEN');
    assert.equal((await approve(t, m, pair.user_code)).body.error_code, 'USER_CODE_INVALID');
    assert.equal((await poll(t, 'not-a-device-code')).body.error_code, 'EXPIRED_TOKEN');
  });

  it('the approver must be a member of the organization they pick (404 otherwise) and signed in with a session (not a key)', async () => {
    const m = await member(t);
    const stranger = await member(t);
    const pair = await start(t);
    const foreign = await approve(t, m, pair.user_code, stranger.orgId);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error_code, 'NOT_FOUND');
    const { key } = await agentKey(t);
    const viaKey = await t.request('POST', '/api/v1/auth/device/approve', { key, body: { user_code: pair.user_code, organization_id: m.orgId } });
    assert.equal(viaKey.status, 401);
    assert.equal((await poll(t, pair.device_code)).body.error_code, 'AUTHORIZATION_PENDING', 'still pending');
  });

  it('a key is minted only for a member still in the organization when the CLI picks it up', async () => {
    const m = await member(t);
    const pair = await start(t);
    assert.equal((await approve(t, m, pair.user_code)).status, 200);
    await t.server.ctx.db.deleteFrom('memberships').where('user_id', '=', m.userId).execute();
    const reply = await poll(t, pair.device_code);
    assert.equal(reply.body.error_code, 'ACCESS_DENIED');
    assert.equal((await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', m.userId).execute()).length, 0);
  });

  it('the approval and the key are in the audit log; no key or code is', async () => {
    const m = await member(t);
    const pair = await start(t);
    await approve(t, m, pair.user_code);
    const granted = await poll(t, pair.device_code);
    const entries = await t.server.ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', m.orgId).execute();
    assert.deepEqual(entries.map((e) => e.action).sort(), ['api_key.created', 'device.approved']);
    const text = JSON.stringify(entries);
    assert.ok(!text.includes(granted.body.data.api_key));
    assert.ok(!text.includes(pair.device_code));
    assert.ok(!text.includes(pair.user_code.replace('-', '')));
  });
});

describe('device authorization: user-code guessing is throttled', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS: '5' });
  });
  after(() => t.close());

  it('threat: a signed-in attacker guessing user codes — after 5 tries every approval is 429, the right code too', async () => {
    const m = await member(t);
    const pair = await start(t);
    const statuses: Array<number | string> = [];
    for (let i = 0; i < 5; i++) statuses.push((await approve(t, m, `BCDF-GH${'JKLMN'[i]}${'PQRST'[i]}`)).body.error_code);
    assert.deepEqual(statuses, Array(5).fill('USER_CODE_INVALID'));
    const right = await approve(t, m, pair.user_code);
    assert.equal(right.status, 429);
    assert.equal(right.body.error_code, 'RATE_LIMITED');
    assert.equal((await poll(t, pair.device_code)).body.error_code, 'AUTHORIZATION_PENDING');
  });
});

describe('device authorization: inspecting a code counts as a guess', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS: '5' });
  });
  after(() => t.close());

  it('threat: inspect is no free oracle — its guesses count with approve and deny, so after 5 the right code is 429 there too', async () => {
    const m = await member(t);
    const pair = await start(t);
    for (let i = 0; i < 5; i++) {
      const guess = await t.request('POST', '/api/v1/auth/device/inspect', { cookie: m.cookie, body: { user_code: `BCDF-GH${'JKLMN'[i]}${'PQRST'[i]}` } });
      assert.equal(guess.body.error_code, 'USER_CODE_INVALID');
    }
    const right = await t.request('POST', '/api/v1/auth/device/inspect', { cookie: m.cookie, body: { user_code: pair.user_code } });
    assert.equal(right.status, 429);
    assert.equal((await approve(t, m, pair.user_code)).status, 429);
  });
});
