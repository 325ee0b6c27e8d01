import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BIN, CliHome, ensureBuilt } from './helpers/cli.js';
import { invitationToken, MANY_AGENTS, newPerson, type Person } from './helpers/orgs.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { Terminal } from './helpers/terminal.js';

describe('CLI: resource commands against a live server', () => {
  let t: TestServer;
  let home: CliHome;
  let owner: Person;
  /** The environment of a CLI run as `person` (key from FUNCSPEC_API_KEY, like a CI job). */
  const as = (person: Person, extra: Record<string, string> = {}) => ({ env: { FUNCSPEC_API_KEY: person.key, FUNCSPEC_BASE_URL: t.url, ...extra } });

  before(async () => {
    ensureBuilt();
    t = await startTestServer(MANY_AGENTS);
  });
  afterEach(() => home?.remove());
  after(() => t.close());

  it('scripted session: create a project and items, list them as JSON, transition one, revoke the key, see the 401 exit code', async () => {
    home = new CliHome();
    owner = await newPerson(t, 'owner');
    const run = as(owner);
    const project = await home.json(['projects', 'create', 'Checkout', '--slug', 'checkout', '--description', 'Paying for things'], run);
    assert.equal(project.slug, 'checkout');
    await home.ok(['config', 'set', 'default_project', 'checkout']);

    const f1 = await home.json(
      ['items', 'create', '--type', 'functional', '--title', 'Pay by card', '--priority', 'high', '--tag', 'payments', '--tag', 'card'],
      run,
    );
    assert.equal(f1.permalink, 'F-1');
    assert.deepEqual(f1.tags, ['payments', 'card']);
    const t1 = await home.json(['items', 'create', '--type', 'technical', '--title', 'Use a PSP', '--parent', 'F-1', '--description-file', '-'], {
      ...run,
      input: '## Why\n\nNo card data on our servers.\n',
    });
    assert.equal(t1.permalink, 'T-1');
    assert.equal(t1.parent_id, f1.id);
    assert.equal(t1.description, '## Why\n\nNo card data on our servers.\n');

    const listed = await home.json(['items', 'list'], run);
    const direct = await t.request('GET', `/api/v1/projects/${project.id}/spec/items`, { key: owner.key });
    assert.deepEqual(listed, direct.body.data, "JSON output is exactly the API's data");
    assert.deepEqual(
      (await home.json(['items', 'list', '--type', 'technical'], run)).map((i: { permalink: string }) => i.permalink),
      ['T-1'],
    );
    assert.deepEqual(
      (await home.json(['items', 'list', '--tag', 'card', '--search', 'card'], run)).map((i: { permalink: string }) => i.permalink),
      ['F-1'],
    );

    await home.ok(['items', 'transition', 'F-1', 'inbox'], run);
    const accepted = await home.json(['items', 'transition', 'F-1', 'accepted'], run);
    assert.equal(accepted.state, 'accepted');
    const started = await home.json(['items', 'implementation', 'F-1', 'in_progress'], run);
    assert.equal(started.implementation_status, 'in_progress');
    const badMove = await home.run(['items', 'transition', 'T-1', 'accepted'], run);
    assert.equal(badMove.code, 1);
    assert.match(badMove.stderr, /^error: INVALID_TRANSITION: /m);
    assert.match(badMove.stderr, /^ {2}allowed: /m);

    const me = await t.request('GET', '/api/v1/me', { key: owner.key });
    const revoked = await home.run(['keys', 'revoke', me.body.data.api_key.id, '--yes'], run);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stderr, /that was the key in use/);
    const after = await home.run(['items', 'list'], run);
    assert.equal(after.code, 3);
    assert.match(after.stderr, /^error: INVALID_API_KEY: /m);
    assert.match(after.stderr, /^hint: run `funcspec auth login`/m);
    assert.equal(after.stdout, '');
  });

  it('items: get by permalink, update with the version check (412 → exit 1 and a hint), and two racing updates of one version: one wins', async () => {
    home = new CliHome();
    const person = await newPerson(t, 'editor');
    const run = as(person, { FUNCSPEC_PROJECT: 'specs' });
    await home.ok(['projects', 'create', 'Specs', '--slug', 'specs'], run);
    await home.ok(['items', 'create', '--type', 'functional', '--title', 'Search'], run);
    const item = await home.json(['items', 'get', 'F-1'], run);
    assert.equal(item.title, 'Search');
    const table = await home.ok(['items', 'get', 'F-1'], run);
    assert.match(table, /^permalink\s+F-1$/m);
    assert.match(table, /^version\s+1$/m);

    const updated = await home.json(['items', 'update', 'F-1', '--title', 'Search by name'], run);
    assert.equal(updated.version, item.version + 1, 'without --if-version the current version is read first');
    const stale = await home.run(['items', 'update', 'F-1', '--title', 'Lost update', '--if-version', String(item.version)], run);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^error: VERSION_CONFLICT: /m);
    assert.match(stale.stderr, /^hint: someone changed it since you read it/m);
    assert.equal((await home.json(['items', 'get', 'F-1'], run)).title, 'Search by name');

    // Threat: lost updates. Two writers who read the same version race; exactly one is applied.
    const racing = await Promise.all(
      ['A', 'B'].map((who) => home.run(['items', 'update', 'F-1', '--title', `Writer ${who}`, '--if-version', String(updated.version)], run)),
    );
    assert.deepEqual(racing.map((r) => r.code).sort(), [0, 1]);
    const final = await home.json(['items', 'get', 'F-1'], run);
    assert.equal(final.version, updated.version + 1);
    const winner = racing.findIndex((r) => r.code === 0);
    assert.equal(final.title, `Writer ${'AB'[winner]}`);

    const cleared = await home.json(['items', 'update', 'F-1', '--tag', 'x', '--tag', 'y'], run);
    assert.deepEqual(cleared.tags, ['x', 'y']);
    assert.deepEqual((await home.json(['items', 'update', 'F-1', '--clear-tags'], run)).tags, []);
    const nothing = await home.run(['items', 'update', 'F-1'], run);
    assert.equal(nothing.code, 2);
    const missing = await home.run(['items', 'get', 'F-99'], run);
    assert.equal(missing.code, 4);
    const noProject = await home.run(['items', 'list'], as(person));
    assert.equal(noProject.code, 2);
    assert.match(noProject.stderr, /which project\? pass --project/);
  });

  it('items delete asks for confirmation unless --yes: refused without a terminal, "No" keeps it, "Yes" deletes it', async () => {
    home = new CliHome();
    const person = await newPerson(t, 'deleter');
    const run = as(person, { FUNCSPEC_PROJECT: 'trash' });
    await home.ok(['projects', 'create', 'Trash', '--slug', 'trash'], run);
    for (const title of ['One', 'Two']) await home.ok(['items', 'create', '--type', 'functional', '--title', title], run);

    const scripted = await home.run(['items', 'delete', 'F-1'], run);
    assert.equal(scripted.code, 2);
    assert.match(scripted.stderr, /refusing without --yes when not run in a terminal/);
    assert.equal((await home.json(['items', 'get', 'F-1'], run)).title, 'One');

    const terminal = Terminal.start([process.execPath, BIN, 'items', 'delete', 'F-1'], home.env(run.env));
    try {
      await terminal.waitFor(/Delete spec item F-1\?/);
      terminal.press('Enter'); // the default answer is No
      assert.equal(await terminal.exitCode(), 1);
      assert.match(terminal.screen(), /aborted; nothing was changed/);
    } finally {
      terminal.close();
    }
    assert.equal((await home.json(['items', 'get', 'F-1'], run)).title, 'One');

    const yes = Terminal.start([process.execPath, BIN, 'items', 'delete', 'F-1'], home.env(run.env));
    try {
      await yes.waitFor(/Delete spec item F-1\?/);
      yes.press('Left', 'Enter');
      assert.equal(await yes.exitCode(), 0, yes.screen());
      assert.match(yes.screen(), /Deleted F-1\./);
    } finally {
      yes.close();
    }
    assert.equal((await home.run(['items', 'get', 'F-1'], run)).code, 4);

    const forced = await home.run(['items', 'delete', 'F-2', '--yes'], run);
    assert.equal(forced.code, 0);
    assert.equal((await home.run(['items', 'get', 'F-2'], run)).code, 4);
    const created = await home.json(['items', 'create', '--type', 'functional', '--title', 'Three'], run);
    assert.equal(created.permalink, 'F-3', 'permalinks are never reused');
  });

  it('orgs, invitations and members: create, invite by e-mail, accept with the CLI (new key shown once), list, change role, remove', async () => {
    home = new CliHome();
    const admin = await newPerson(t, 'admin');
    const run = as(admin);
    const orgs = await home.json(['orgs', 'list'], run);
    assert.deepEqual(orgs, (await t.request('GET', '/api/v1/organizations', { key: admin.key })).body.data);
    const mine = await home.json(['orgs', 'get'], run);
    assert.equal(mine.id, admin.personalOrgId, 'orgs get defaults to the organization of the key');
    const other = await home.json(['orgs', 'create', 'Side Project', '--slug', `side-${admin.userId.slice(-6).toLowerCase()}`], run);
    assert.equal(other.role, 'owner');
    const renamed = await home.json(['orgs', 'update', '--name', 'Personal'], run);
    assert.equal(renamed.name, 'Personal');

    const invitee = await newPerson(t, 'invitee');
    const before = t.mail.to(invitee.email).length;
    const invitation = await home.json(['invitations', 'create', invitee.email, '--role', 'member'], run);
    assert.equal(invitation.email, invitee.email);
    assert.equal((await home.json(['invitations', 'list'], run)).length, 1);
    const badRole = await home.run(['invitations', 'create', invitee.email, '--role', 'owner'], run);
    assert.equal(badRole.code, 2);

    const mail = await t.mail.waitFor(invitee.email, { after: before });
    const link = /https?:\/\/\S+\/invitations\/accept\?token=\S+/.exec(mail.text)![0];
    assert.equal(new URL(link).searchParams.get('token'), invitationToken(mail));
    const inviteeHome = new CliHome();
    const accepted = await inviteeHome.run(['invitations', 'accept', link], as(invitee)); // the whole link, pasted from the mail
    inviteeHome.remove();
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /^Joined Personal \(.+\) as member\.$/m);
    const newKey = accepted.stdout.trim().split('\n').at(-1)!;
    assert.match(newKey, /^fs_live_[0-9A-Za-z]{38}$/, 'the new key for the joined organization is on stdout, once');
    assert.match(accepted.stderr, /This is the only time it is shown/);
    assert.equal((await t.request('GET', '/api/v1/me', { key: newKey })).body.data.organization.id, admin.personalOrgId);

    const members = await home.json(['members', 'list'], run);
    assert.deepEqual(members.map((m: { user: { email: string } }) => m.user.email).sort(), [admin.email, invitee.email].sort());
    const table = await home.ok(['members', 'list'], run);
    assert.match(table, /^USER_ID\s+EMAIL\s+NAME\s+ROLE\s+SINCE$/m);
    await home.ok(['members', 'update', invitee.email, '--role', 'admin'], run);
    assert.equal((await t.request('GET', '/api/v1/me', { key: newKey })).body.data.role, 'admin', 'the member is admin from the next request');
    const refused = await home.run(['members', 'remove', invitee.email], run);
    assert.equal(refused.code, 2, 'removal needs --yes without a terminal');
    await home.ok(['members', 'remove', invitee.email, '--yes'], run);
    assert.equal((await t.request('GET', '/api/v1/me', { key: newKey })).status, 401, 'their key for the organization ends with their membership');
    const gone = await home.run(['members', 'update', 'usr_nobody', '--role', 'admin'], run);
    assert.equal(gone.code, 4);
  });

  it('projects and project members: list, get, update, add by e-mail, change role, remove, delete with --yes', async () => {
    home = new CliHome();
    const admin = await newPerson(t, 'padmin');
    const run = as(admin);
    const project = await home.json(['projects', 'create', 'Mobile', '--slug', 'mobile'], run);
    assert.deepEqual(await home.json(['projects', 'list'], run), (await t.request('GET', '/api/v1/projects', { key: admin.key })).body.data);
    assert.equal((await home.json(['projects', 'get', 'mobile'], run)).id, project.id);
    assert.equal((await home.json(['projects', 'update', 'mobile', '--description', 'iOS and Android'], run)).description, 'iOS and Android');

    // A second member of the organization, to put on the project's team.
    const colleague = await newPerson(t, 'colleague');
    const before = t.mail.to(colleague.email).length;
    await home.ok(['invitations', 'create', colleague.email], run);
    const token = invitationToken(await t.mail.waitFor(colleague.email, { after: before }));
    assert.equal((await t.request('POST', '/api/v1/invitations/accept', { key: colleague.key, body: { token } })).status, 200);

    const added = await home.json(['projects', 'members', 'add', colleague.email, '--role', 'editor', '--project', 'mobile'], run);
    assert.equal(added.role, 'editor');
    const team = await home.json(['projects', 'members', 'list', '--project', 'mobile'], run);
    assert.ok(team.some((m: { user: { email: string }; role: string }) => m.user.email === colleague.email && m.role === 'editor'));
    assert.equal((await home.json(['projects', 'members', 'update', colleague.email, '--role', 'viewer', '--project', 'mobile'], run)).role, 'viewer');
    await home.ok(['projects', 'members', 'remove', colleague.email, '--project', 'mobile', '--yes'], run);
    assert.ok(
      !(await home.json(['projects', 'members', 'list', '--project', 'mobile'], run)).some(
        (m: { user: { email: string } }) => m.user.email === colleague.email,
      ),
    );
    const badRole = await home.run(['projects', 'members', 'add', colleague.email, '--role', 'owner', '--project', 'mobile'], run);
    assert.equal(badRole.code, 2);

    await home.ok(['projects', 'delete', 'mobile', '--yes'], run);
    assert.equal((await home.run(['projects', 'get', 'mobile'], run)).code, 4);
  });

  it('tables are sized to the terminal (long values cut with …), pipes get whole values, and control characters never reach the terminal', async () => {
    home = new CliHome();
    const person = await newPerson(t, 'tables');
    const run = as(person, { FUNCSPEC_PROJECT: 'wide' });
    await home.ok(['projects', 'create', 'Wide', '--slug', 'wide'], run);
    const long = `A very long title ${'that goes on '.repeat(8)}until the end`;
    await home.ok(['items', 'create', '--type', 'functional', '--title', long], run);
    await home.ok(['items', 'create', '--type', 'functional', '--title', 'Red alert'], run);
    // The API refuses control characters in titles now; rows written before that rule (or by other
    // tools) may still hold them, so the CLI must neutralise them on output all the same.
    const planted = await t.server.ctx.db
      .updateTable('spec_items')
      .set({ title: 'Red \u001b[31malert\u001b[0m and a bell \u0007' })
      .where('title', '=', 'Red alert')
      .executeTakeFirst();
    assert.equal(Number(planted.numUpdatedRows), 1);

    const narrow = await home.ok(['items', 'list'], { env: { ...run.env, COLUMNS: '80' } });
    for (const line of narrow.trimEnd().split('\n')) assert.ok([...line].length <= 80, `"${line}" fits 80 columns`);
    assert.match(narrow, /A very long title.*…/);
    const piped = await home.ok(['items', 'list'], run);
    assert.ok(piped.includes(long), 'without a terminal width the whole value is printed');
    assert.match(piped, /Red .*alert.* and a bell/, 'the planted title is listed');
    assert.ok(!piped.includes('\u001b') && !piped.includes('\u0007'), 'escape sequences in data are neutralised');

    const terminal = Terminal.start([process.execPath, BIN, 'items', 'list'], home.env(run.env), { columns: 70, rows: 20 });
    try {
      assert.equal(await terminal.exitCode(), 0);
      const lines = terminal
        .screen()
        .split('\n')
        .filter((l) => /^(PERMALINK|F-\d)/.test(l));
      assert.equal(lines.length, 3);
      for (const line of lines) assert.ok(line.trimEnd().length <= 70, `"${line}" fits the 70-column terminal`);
    } finally {
      terminal.close();
    }
  });

  it('orgs billing, transfer-ownership and delete: the owner hands over, the old owner can no longer delete, the new one can', async () => {
    home = new CliHome();
    const founder = await newPerson(t, 'founder');
    const billing = await home.json(['orgs', 'billing'], as(founder));
    assert.deepEqual(billing, (await t.request('GET', `/api/v1/organizations/${founder.personalOrgId}/billing`, { key: founder.key })).body.data);
    assert.match(await home.ok(['orgs', 'billing'], as(founder)), /^plan\s+free$/m);

    const heir = await newPerson(t, 'heir');
    const before = t.mail.to(heir.email).length;
    await home.ok(['invitations', 'create', heir.email, '--role', 'admin'], as(founder));
    const token = invitationToken(await t.mail.waitFor(heir.email, { after: before }));
    const joined = await home.run(['invitations', 'accept', token, '--format', 'json'], as(heir));
    assert.equal(joined.code, 0, joined.stderr);
    const heirKey: string = JSON.parse(joined.stdout).api_key.key;

    const noConfirm = await home.run(['orgs', 'transfer-ownership', heir.email], as(founder));
    assert.equal(noConfirm.code, 2);
    const transferred = await home.json(['orgs', 'transfer-ownership', heir.email, '--yes'], as(founder));
    assert.equal(transferred.role, 'owner');
    assert.equal(transferred.user.email, heir.email);

    const refused = await home.run(['orgs', 'delete', founder.personalOrgId, '--yes'], as(founder));
    assert.equal(refused.code, 4, 'an admin may not delete the organization');
    assert.match(refused.stderr, /^error: FORBIDDEN: /m);
    const heirRun = { env: { FUNCSPEC_API_KEY: heirKey, FUNCSPEC_BASE_URL: t.url } };
    const deleted = await home.run(['orgs', 'delete', founder.personalOrgId, '--yes'], heirRun);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /^Deleted organization /m);
    assert.equal((await home.run(['orgs', 'get'], heirRun)).code, 3, 'keys of a deleted organization stop working');
  });
});
