import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { GOOD_PASSWORD, verifiedUser, type WebUser } from './helpers/accounts.js';
import { mailedLink } from './helpers/browser.js';
import { invitationToken } from './helpers/orgs.js';
import { uniqueEmail } from './helpers/server.js';
import { logIn, saysAfter, startWebRig, tableRows, type WebRig } from './helpers/web.js';

// Organization journeys in Chromium: an owner creates an organization and invites a second person,
// who accepts in a second browser context after signing up; API keys are made, used by the test
// against the API, rotated with an overlap and revoked on the page; usage, the audit log and billing
// show what just happened; a member is told why an admin page is closed to them.

describe('web app: organizations, members, API keys, usage, audit log and billing in Chromium', () => {
  let rig: WebRig;
  let owner: WebUser;
  let page: Page;
  let orgSlug = '';
  let memberPage: Page;
  const memberEmail = uniqueEmail('web-invitee');
  let firstKey = '';

  const settings = (section: string) => page.getByRole('navigation', { name: 'Organization Settings' }).getByRole('link', { name: section, exact: true });
  const me = (key: string) => rig.t.request('GET', '/api/v1/me', { headers: { 'X-API-Key': key } });

  before(async () => {
    rig = await startWebRig();
    owner = await verifiedUser(rig.t, uniqueEmail('web-owner'));
    ({ page } = await rig.open());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.t.url });
  });
  after(() => rig?.close());

  it('organization creation from the switcher, then Organization Settings → General', async () => {
    await page.goto(`${rig.t.url}/`);
    await logIn(page, owner.email, owner.password);
    await page.getByRole('button', { name: 'Create organization' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create organization' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Lovelace Analytical');
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Lovelace Analytical', level: 1 }).waitFor();
    orgSlug = new URL(page.url()).pathname.split('/')[2]!;

    await page.getByRole('button', { name: 'Switch organization' }).click();
    await page.getByRole('link', { name: 'Organization Settings' }).click();
    await page.getByRole('heading', { name: 'Organization Settings' }).waitFor();
    const nav = await page.getByRole('navigation', { name: 'Organization Settings' }).getByRole('link').allTextContents();
    assert.deepEqual(nav, ['General', 'Members', 'API Keys', 'Usage', 'Security', 'Audit log', 'Billing'], 'an owner sees every section, Billing too');
    assert.equal(await page.getByRole('textbox', { name: 'Name' }).inputValue(), 'Lovelace Analytical');

    // The key hygiene mails are on by default; an admin turns the digest off here.
    const expiry = page.getByRole('checkbox', { name: "Mail a key's owner a week before the key expires" });
    const digest = page.getByRole('checkbox', { name: 'Weekly digest of keys unused for 90 days' });
    assert.deepEqual([await expiry.isChecked(), await digest.isChecked()], [true, true]);
    await digest.uncheck();
    await page.getByRole('button', { name: 'Save mail settings' }).click();
    await page.getByText('Saved.').waitFor();
    const stored = await rig.t.server.ctx.db
      .selectFrom('organizations')
      .select(['key_expiry_mails', 'unused_keys_digest'])
      .where('slug', '=', orgSlug)
      .executeTakeFirstOrThrow();
    assert.deepEqual([Number(stored.key_expiry_mails), Number(stored.unused_keys_digest)], [1, 0]);
    rig.assertNoProblems();
  });

  it('an invitation accepted by a second person in a second browser context, who signs up first and comes back', async () => {
    const { t } = rig;
    await settings('Members').click();
    await page.getByRole('button', { name: 'Invite' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite a member' });
    await invite.getByRole('textbox', { name: 'Email' }).fill(memberEmail);
    await invite.getByRole('combobox', { name: 'Role' }).selectOption('member');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    const pending = page.getByRole('table', { name: 'Pending invitations' });
    await pending.getByRole('cell', { name: memberEmail, exact: true }).waitFor();
    const firstMail = await t.mail.waitFor(memberEmail);

    await page.getByRole('button', { name: `Resend the invitation to ${memberEmail}` }).click();
    await page.getByText(`A new invitation link is on its way to ${memberEmail}.`).waitFor();
    const resent = await t.mail.waitFor(memberEmail, { after: 1 });
    assert.notEqual(invitationToken(resent), invitationToken(firstMail), 'a fresh link; the first one died');
    const link = /https?:\/\/\S+\/invitations\/accept\?token=\S+/.exec(resent.text)![0];

    ({ page: memberPage } = await rig.open());
    await memberPage.goto(link);
    await memberPage.getByRole('heading', { name: "You're invited to FuncSpec" }).waitFor();
    await memberPage.getByRole('link', { name: 'Sign Up to accept' }).click();
    await memberPage.getByRole('textbox', { name: 'Email' }).fill(memberEmail);
    await memberPage.getByRole('textbox', { name: 'Password' }).fill(GOOD_PASSWORD);
    await memberPage.getByRole('button', { name: 'Sign Up' }).click();
    await memberPage.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    await memberPage.goto(mailedLink(await t.mail.waitFor(memberEmail, { after: 2 }), '/verify-email'));
    await memberPage.getByRole('button', { name: 'Confirm my e-mail address' }).click();
    await memberPage.getByRole('link', { name: 'Log in' }).click();
    await memberPage.getByRole('textbox', { name: 'Password' }).fill(GOOD_PASSWORD);
    await memberPage.getByRole('button', { name: 'Log in' }).click();

    await memberPage.getByRole('heading', { name: 'Join an organization' }).waitFor(); // back at the invitation
    await memberPage.getByRole('button', { name: 'Accept invitation' }).click();
    assert.deepEqual(await saysAfter(memberPage), { text: 'You joined Lovelace Analytical as member.', ok: true });
    await memberPage.getByRole('link', { name: 'Open Lovelace Analytical' }).click();
    await memberPage.getByRole('heading', { name: 'Lovelace Analytical', level: 1 }).waitFor();

    await page.reload();
    await page.getByRole('combobox', { name: `Role of ${memberEmail}` }).waitFor();
    const members = await tableRows(page.getByRole('table', { name: /^Members of/ }));
    assert.deepEqual(members.map((row) => row[0]!.replace('You', '').trim()).sort(), [owner.email, memberEmail].sort());
    assert.equal(await page.getByRole('combobox', { name: `Role of ${memberEmail}` }).inputValue(), 'member');
    assert.equal(await page.getByRole('button', { name: `Remove ${memberEmail}` }).count(), 1);
    rig.assertNoProblems();
  });

  it('a member who cannot see an admin page is shown why', async () => {
    await memberPage.goto(`${rig.t.url}/orgs/${orgSlug}/settings/audit-log`);
    await memberPage
      .getByText('Only owners and admins of Lovelace Analytical can see audit log. Your role here is member: ask an owner or admin if you need it.')
      .waitFor();
    const nav = await memberPage.getByRole('navigation', { name: 'Organization Settings' }).getByRole('link').allTextContents();
    assert.ok(!nav.includes('Billing'), 'billing is not even offered to a member');
    await memberPage.goto(`${rig.t.url}/orgs/${orgSlug}/settings/billing`);
    await memberPage.getByText(/^Only owners of Lovelace Analytical can see billing\./).waitFor();
    assert.equal(await memberPage.getByRole('button', { name: 'Invite' }).count(), 0);
    rig.assertNoProblems();
  });

  it('API key creation → the key works against the API → usage chart and last use show the requests just made', async () => {
    await settings('API Keys').click();
    await page.getByRole('button', { name: 'Create API Key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API Key' });
    await create.getByRole('textbox', { name: 'Name' }).fill('CI deploy');
    await create.getByRole('textbox', { name: 'Allowed IPs (optional)' }).fill('not-an-address');
    await create.getByRole('button', { name: 'Create' }).click();
    await create.getByRole('textbox', { name: 'Allowed IPs (optional)' }).and(page.locator('[aria-invalid="true"]')).waitFor(); // flagged at its field
    await create.getByRole('textbox', { name: 'Allowed IPs (optional)' }).fill('127.0.0.1, ::1');
    await create.getByRole('button', { name: 'Create' }).click();

    const reveal = page.getByRole('dialog', { name: 'API key CI deploy created' });
    firstKey = ((await reveal.getByLabel('New API key').textContent()) ?? '').trim();
    assert.match(firstKey, /^fs_(live|test)_[0-9A-Za-z]{38}$/);
    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), firstKey);
    await reveal.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByText(firstKey).count(), 0, 'the key is not shown again');

    for (let i = 0; i < 3; i++) assert.equal((await me(firstKey)).status, 200, 'the new key works against the API');
    const row = (await tableRows(page.getByRole('table', { name: 'API keys' })))[0]!;
    assert.match(row[0]!, /^CI deploy/);
    assert.equal(row[1], `…${firstKey.slice(-4)}`);
    assert.equal(row[2], owner.email, 'created by');
    assert.equal(row[5], '127.0.0.1, ::1', 'allowed IPs');

    await settings('Usage').click();
    const chart = page.getByRole('img', { name: /^Chart of requests per hour per key: 3 requests in this range/ });
    await chart.waitFor();
    assert.ok((await chart.locator('canvas').count()) > 0, 'the chart is drawn');
    const usage = await tableRows(page.getByRole('table', { name: 'Requests per hour' }));
    assert.equal(usage.length, 1, JSON.stringify(usage));
    assert.equal(usage[0]![1], '3', 'the table has the same number');
    assert.deepEqual(await page.getByRole('table', { name: 'Requests per hour' }).locator('thead th').allTextContents(), ['Hour', 'CI deploy']);

    await settings('API Keys').click();
    // The list shows what it had, then what the server now says: wait for the last-use column to fill.
    await page
      .getByRole('table', { name: 'API keys' })
      .locator('tbody tr td')
      .nth(3)
      .filter({ hasText: /127\.0\.0\.1$/ })
      .waitFor();
    const used = (await tableRows(page.getByRole('table', { name: 'API keys' })))[0]!;
    assert.match(used[3]!, /127\.0\.0\.1$/, `last used shows the date and the address: ${used[3]}`);
    assert.doesNotMatch(used[3]!, /Never/);
    rig.assertNoProblems();
  });

  it('rotation with overlap: both keys work until the chosen deadline, then only the new one; revoke in the page → the key fails', async () => {
    const { t } = rig;
    await page.getByRole('button', { name: 'Rotate CI deploy' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate CI deploy?' });
    await rotate.getByRole('combobox', { name: 'The old key' }).selectOption({ label: 'Keep working for 1 hour' });
    await rotate.getByRole('button', { name: 'Rotate key' }).click();
    const reveal = page.getByRole('dialog', { name: 'New key for CI deploy' });
    const rotatedKey = ((await reveal.getByLabel('New API key').textContent()) ?? '').trim();
    assert.notEqual(rotatedKey, firstKey);
    await reveal.getByRole('button', { name: 'Done' }).click();
    assert.equal((await me(firstKey)).status, 200, 'the old key works during the overlap');
    assert.equal((await me(rotatedKey)).status, 200);
    t.clock.advance(60 * 60 * 1000 + 1000);
    assert.equal((await me(firstKey)).status, 401, 'then it stops');
    assert.equal((await me(rotatedKey)).status, 200);

    await page.reload();
    await page.getByRole('button', { name: 'Revoke CI deploy' }).first().click();
    const confirm = page.getByRole('dialog', { name: 'Revoke CI deploy?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('CI deploy is revoked: requests with it fail from now on.').waitFor();
    const refused = await me(rotatedKey);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error_code, 'INVALID_API_KEY');
    rig.assertNoProblems();
  });

  it('the audit log shows what was just done, with filters by action and actor', async () => {
    await settings('Audit log').click();
    await page.getByRole('table', { name: 'Audit log entries' }).waitFor();
    await page.getByRole('textbox', { name: 'Action' }).fill('api_key.*');
    await page.getByRole('textbox', { name: 'Actor' }).fill(owner.email);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('3 in all', { exact: true }).waitFor(); // the filtered answer, not the page before it
    const rows = await tableRows(page.getByRole('table', { name: 'Audit log entries' }));
    assert.deepEqual(
      rows.map((row) => row[2]),
      ['api_key.revoked', 'api_key.rotated', 'api_key.created'],
      'newest first',
    );
    for (const row of rows) assert.deepEqual([row[1], row[4], row[5]], [owner.email, '127.0.0.1', 'success']);

    await page.getByRole('textbox', { name: 'Action' }).fill('invitation.*');
    await page.getByRole('textbox', { name: 'Actor' }).fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('cell', { name: 'invitation.accepted' }).waitFor();
    assert.deepEqual(
      (await tableRows(page.getByRole('table', { name: 'Audit log entries' }))).map((row) => row[2]),
      ['invitation.accepted', 'invitation.created', 'invitation.created'],
    );
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText(/^\d+ in all$/).waitFor();
    rig.assertNoProblems();
  });

  it('billing for the owner: plan, rate limit, credits and their ledger', async () => {
    await settings('Billing').click();
    const facts = page.locator('dl.facts');
    await facts.waitFor();
    assert.match((await facts.textContent()) ?? '', /Planfree.*Rate limit1,000 requests per hour per API key.*Credits left100 of 100 \(0 used\)/);
    const ledger = await tableRows(page.getByRole('table', { name: 'Credit ledger' }));
    assert.equal(ledger.length, 1);
    assert.match(ledger[0]![1]!, /^free plan allowance for \d{4}-\d{2}$/);
    assert.equal(ledger[0]![3], '+100');
    rig.assertNoProblems();
  });

  it("a scoped key from the Create API Key dialog: items:read on one project reads that project's items and nothing else; the table shows its access", async () => {
    for (const name of ['Handbook', 'Roadmap']) {
      const made = await page.request.post(`${rig.t.url}/api/v1/projects`, { data: { name, organization_id: orgSlug } });
      assert.equal(made.status(), 201, await made.text());
    }
    await settings('API Keys').click();
    await page.getByRole('button', { name: 'Create API Key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API Key' });
    await create.getByRole('textbox', { name: 'Name' }).fill('Docs reader');
    const may = create.getByRole('group', { name: 'What it may do' });
    assert.equal(await may.getByRole('radio', { name: 'Everything you may do' }).isChecked(), true, 'by default a key may do everything');
    await may.getByRole('radio', { name: 'Only what is ticked below' }).check();
    await create.getByRole('button', { name: 'Create' }).click();
    await may.getByText('must name at least one scope').waitFor(); // nothing ticked: said in the group
    await may.getByRole('checkbox', { name: /^items:read: / }).check();
    const reach = create.getByRole('group', { name: 'Projects it reaches' });
    await reach.getByRole('radio', { name: 'Only the projects ticked below' }).check();
    await reach.getByRole('checkbox', { name: 'Handbook' }).check();
    await create.getByRole('button', { name: 'Create' }).click();

    const reveal = page.getByRole('dialog', { name: 'API key Docs reader created' });
    const key = ((await reveal.getByLabel('New API key').textContent()) ?? '').trim();
    await reveal.getByRole('button', { name: 'Done' }).click();
    const get = (path: string) => rig.t.request('GET', path, { headers: { 'X-API-Key': key } });
    assert.equal((await get('/api/v1/projects/handbook/spec/items')).status, 200, 'it reads the items of its project');
    for (const [path, scope] of [
      ['/api/v1/projects/roadmap/spec/items', 'items:read'],
      ['/api/v1/organizations', 'org:read'],
    ] as const) {
      const refused = await get(path);
      assert.deepEqual([refused.status, refused.body.error_code, refused.body.details.required_scope], [403, 'INSUFFICIENT_SCOPE', scope], path);
    }

    const table = page.getByRole('table', { name: 'API keys' });
    const row = table.locator('tbody tr').filter({ hasText: 'Docs reader' });
    await row.locator('td').nth(6).filter({ hasText: 'Handbook' }).waitFor(); // the project by name, once the names are loaded
    assert.equal((await row.locator('td').nth(6).innerText()).trim(), 'items:read\nHandbook');
    assert.equal((await table.locator('thead th').nth(6).textContent())?.trim(), 'Access');
    rig.assertNoProblems();
  });
});
