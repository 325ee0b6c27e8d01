import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { runFuncspec } from './helpers/operator.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

/** Makes the audit log refuse one action (as a full disk or a lost connection would) while `run` runs. */
async function withAuditRefusing(t: TestServer, action: string, run: () => Promise<void>): Promise<void> {
  const db = t.server.ctx.db;
  const postgres = t.server.ctx.dbKind === 'postgres';
  if (postgres) {
    await sql
      .raw(
        `create function refuse_audit() returns trigger language plpgsql as $$ begin if new.action = '${action}' then raise exception 'audit unavailable'; end if; return new; end $$`,
      )
      .execute(db);
    await sql.raw('create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit()').execute(db);
  } else {
    await sql
      .raw(`create trigger refuse_audit before insert on audit_log when new.action = '${action}' begin select raise(abort, 'audit unavailable'); end`)
      .execute(db);
  }
  try {
    await run();
  } finally {
    await sql.raw(postgres ? 'drop trigger refuse_audit on audit_log' : 'drop trigger refuse_audit').execute(db);
    if (postgres) await sql.raw('drop function refuse_audit()').execute(db);
  }
}

describe('security review: operator commands', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000' });
  });
  after(() => t.close());

  it("funcspec admin user disable: the user's key (cached by a request just before) and session stop working on the next request", async () => {
    const user = await verifiedUser(t);
    const cookie = await loginCookie(t, user.email);
    const { key } = await agentKey(t, user.email);
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200);
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 200);
    const disabled = await runFuncspec(['admin', 'user', 'disable', user.email], t.env);
    assert.equal(disabled.code, 0, disabled.stderr);
    const byKey = await t.request('GET', '/api/v1/me', { key });
    assert.equal(byKey.status, 401);
    assert.equal(byKey.body.error_code, 'INVALID_API_KEY');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie })).status, 401);
    const audit = await t.server.ctx.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', user.id)
      .where('action', '=', 'user.disabled')
      .execute();
    assert.equal(audit.length, 1);
  });

  it('threat: a partial write — when its audit entry cannot be written, a disable or a credit grant does not happen either', async () => {
    const { email, key } = await agentKey(t);
    const org = (await t.request('GET', '/api/v1/me', { key })).body.data.organization.slug;
    await withAuditRefusing(t, 'user.disabled', async () => {
      const disabled = await runFuncspec(['admin', 'user', 'disable', email], t.env);
      assert.notEqual(disabled.code, 0, 'the command reports the failure');
    });
    const user = await t.server.ctx.db.selectFrom('users').select('disabled_at').where('email', '=', email).executeTakeFirstOrThrow();
    assert.equal(user.disabled_at, null, 'not disabled without an audit entry');
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200);

    const before = (await t.request('GET', '/api/v1/credits/balance', { key })).body.total_credits;
    await withAuditRefusing(t, 'credits.granted', async () => {
      const granted = await runFuncspec(['admin', 'credits', 'grant', org, '25'], t.env);
      assert.notEqual(granted.code, 0, 'the command reports the failure');
    });
    assert.equal((await t.request('GET', '/api/v1/credits/balance', { key })).body.total_credits, before, 'no credits granted without an audit entry');
  });
});
