import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('my profile (Account Settings → Profile)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('PATCH /auth/profile sets and clears my display name; bad names are 422 and change nothing; without a session 401', async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const named = await t.request('PATCH', '/api/v1/auth/profile', { cookie, body: { name: '  Ada Lovelace ' } });
    assert.equal(named.status, 200, JSON.stringify(named.body));
    assert.equal(named.body.data.user.name, 'Ada Lovelace');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).body.data.user.name, 'Ada Lovelace');

    for (const body of [{ name: '' }, { name: 'x'.repeat(101) }, { name: 'bell\u0007' }, { name: 'Ada', email: 'other@example.com' }, {}]) {
      const refused = await t.request('PATCH', '/api/v1/auth/profile', { cookie, body });
      assert.equal(refused.status, 422, JSON.stringify(body));
      assert.equal(refused.body.error_code, 'VALIDATION_FAILED');
    }
    const session = (await t.request('GET', '/api/v1/auth/session', { cookie })).body.data.user;
    assert.deepEqual([session.name, session.email], ['Ada Lovelace', user.email], 'refused changes changed nothing');

    const cleared = await t.request('PATCH', '/api/v1/auth/profile', { cookie, body: { name: null } });
    assert.equal(cleared.body.data.user.name, null);
    assert.equal((await t.request('PATCH', '/api/v1/auth/profile', { body: { name: 'Mallory' } })).status, 401);
  });
});
