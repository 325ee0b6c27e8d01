import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { loginCookie, verifiedUser, type WebUser } from './helpers/accounts.js';
import { createItem } from './helpers/orgs.js';
import { uniqueEmail } from './helpers/server.js';
import { logIn, saysAfter, startWebRig, tableRows, type WebRig } from './helpers/web.js';

// Projects and spec items in Chromium: a project made on the page, an item created, rendered from
// Markdown without raw HTML, edited with its version, moved only along allowed transitions, a stale
// edit answered with the conflict message and a reload, and the items table filtered, searched and sorted.

describe('web app: projects and spec items in Chromium', () => {
  let rig: WebRig;
  let owner: WebUser;
  let cookie = '';
  let page: Page;
  let projectId = '';

  before(async () => {
    rig = await startWebRig();
    owner = await verifiedUser(rig.t, uniqueEmail('web-spec'));
    cookie = await loginCookie(rig.t, owner.email);
    const org = await rig.t.request('POST', '/api/v1/organizations', { cookie, body: { name: 'Babbage Engines' } });
    assert.equal(org.status, 201, JSON.stringify(org.body));
    ({ page } = await rig.open());
    await page.goto(`${rig.t.url}/`);
    await logIn(page, owner.email, owner.password);
    await page.getByRole('heading', { name: 'Babbage Engines', level: 1 }).waitFor();
  });
  after(() => rig?.close());

  it('a project is created from the organization page, and a spec item in it; its Markdown is rendered with no raw HTML', async () => {
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await page.getByRole('button', { name: 'New project' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Difference Engine');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Difference Engine', level: 1 }).waitFor();
    projectId = new URL(page.url()).pathname.split('/')[2]!;
    await page.getByRole('heading', { name: 'No spec items yet' }).waitFor();

    await page.getByRole('link', { name: 'New item' }).first().click();
    await page.getByRole('heading', { name: 'New item' }).waitFor(); // (the items page has a Type combobox too)
    await page.getByRole('combobox', { name: 'Type' }).selectOption('functional');
    await page.getByRole('textbox', { name: 'Title' }).fill('Tabulate polynomials');
    await page
      .getByRole('textbox', { name: 'Description' })
      .fill(
        'The engine **tabulates** values.\n\n- by differences\n\n<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2">\n\n![chart](https://example.com/chart.png)',
      );
    await page.getByRole('combobox', { name: 'Priority' }).selectOption('high');
    await page.getByRole('textbox', { name: 'Tags' }).fill('math, tables');
    await page.getByRole('button', { name: 'Create item' }).click();

    await page.getByRole('heading', { name: 'F-1 Tabulate polynomials' }).waitFor();
    const body = page.locator('.markdown');
    assert.equal(await body.locator('strong').textContent(), 'tabulates', 'Markdown is rendered');
    assert.equal(await body.locator('li').textContent(), 'by differences');
    assert.equal(await body.locator('script, img, [onerror]').count(), 0, 'raw HTML is not rendered, and images are only links');
    assert.equal(await page.evaluate('window.pwned'), undefined);
    assert.equal(await body.getByRole('link', { name: '[image: chart]' }).getAttribute('rel'), 'noopener noreferrer nofollow');
    rig.assertNoProblems();
  });

  it('edit with the version; only the allowed transitions are offered, and each moves the item', async () => {
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('textbox', { name: 'Title' }).fill('Tabulate polynomials to 7th order');
    await page.getByRole('button', { name: 'Save changes' }).click();
    assert.deepEqual(await saysAfter(page), { text: 'Saved.', ok: true });
    await page.getByRole('heading', { name: 'F-1 Tabulate polynomials to 7th order' }).waitFor();

    const transitions = async () => (await page.getByRole('button', { name: /^(Move to|Mark) / }).allTextContents()).sort();
    assert.deepEqual(await transitions(), ['Mark Not applicable', 'Move to Inbox'], 'from draft: submit, or not applicable');
    await page.getByRole('button', { name: 'Move to Inbox' }).click();
    await page.getByText('Moved to Inbox.').waitFor();
    await page.getByRole('button', { name: 'Move to Accepted' }).waitFor();
    assert.deepEqual(await transitions(), ['Mark Not applicable', 'Move to Accepted', 'Move to Draft', 'Move to Rejected']);
    await page.getByRole('button', { name: 'Move to Accepted' }).click();
    await page.getByRole('button', { name: 'Mark In progress' }).click();
    await page.getByText('Implementation: In progress.').waitFor();
    const item = await rig.t.request('GET', `/api/v1/projects/${projectId}/spec/items/F-1`, { cookie });
    assert.deepEqual([item.body.data.state, item.body.data.implementation_status, item.body.data.version], ['accepted', 'in_progress', 5]);
    rig.assertNoProblems();
  });

  it('a stale edit is answered with the conflict message, keeps the text, and offers to reload the latest version', async () => {
    await page.getByRole('button', { name: 'Edit' }).click();
    const elsewhere = await rig.t.request('PATCH', `/api/v1/projects/${projectId}/spec/items/F-1`, {
      cookie,
      headers: { 'if-match': '"5"' },
      body: { title: 'Changed by a colleague' },
    });
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
    await page.getByRole('textbox', { name: 'Title' }).fill('My stale change');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Someone else changed this item while you were editing it (you had version 5). Your text is still in the form below.').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Title' }).inputValue(), 'My stale change');
    assert.equal(
      (await rig.t.request('GET', `/api/v1/projects/${projectId}/spec/items/F-1`, { cookie })).body.data.title,
      'Changed by a colleague',
      'nothing was lost',
    );

    await alert.getByRole('button', { name: 'Reload the latest version' }).click();
    await page.getByRole('textbox', { name: 'Title' }).and(page.locator('[value="Changed by a colleague"]')).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    rig.assertNoProblems();
  });

  it('the items table filters by type, state and tag, searches, sorts and pages', async () => {
    const as = { cookie };
    await createItem(rig.t, as, projectId, { type_of: 'technical', title: 'Brass gear train', tags: ['hardware'] });
    await createItem(rig.t, as, projectId, { type_of: 'functional', title: 'Print results', tags: ['tables'], state: 'inbox' });
    await page.getByRole('link', { name: 'Difference Engine' }).click();
    const titles = async () => (await tableRows(page.getByRole('table', { name: 'Spec items' }))).map((row) => `${row[0]} ${row[1]}`);
    await page.getByRole('cell', { name: 'Print results' }).waitFor();
    assert.deepEqual(await titles(), ['F-1 Changed by a colleague', 'T-1 Brass gear train', 'F-2 Print results']);

    await page.getByRole('combobox', { name: 'Type' }).selectOption('technical');
    await page.getByRole('cell', { name: 'Print results' }).waitFor({ state: 'detached' });
    assert.deepEqual(await titles(), ['T-1 Brass gear train']);
    await page.getByRole('combobox', { name: 'Type' }).selectOption('');
    await page.getByRole('combobox', { name: 'State' }).selectOption('inbox');
    await page.getByRole('cell', { name: 'Brass gear train' }).waitFor({ state: 'detached' });
    assert.deepEqual(await titles(), ['F-2 Print results']);
    await page.getByRole('combobox', { name: 'State' }).selectOption('');
    await page.getByRole('textbox', { name: 'Tag' }).fill('tables');
    await page.getByRole('cell', { name: 'Brass gear train' }).waitFor({ state: 'detached' });
    assert.deepEqual(await titles(), ['F-1 Changed by a colleague', 'F-2 Print results']);
    await page.getByRole('textbox', { name: 'Tag' }).fill('');
    await page.getByRole('searchbox', { name: 'Search' }).fill('GEAR');
    await page.getByRole('cell', { name: 'Print results' }).waitFor({ state: 'detached' });
    assert.deepEqual(await titles(), ['T-1 Brass gear train']);
    assert.equal(new URL(page.url()).searchParams.get('q'), 'GEAR', 'the view is in the address');
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByRole('cell', { name: 'Print results' }).waitFor(); // the search is cleared
    await page.getByRole('combobox', { name: 'Sort' }).selectOption({ label: 'Title A–Z' });
    await page.waitForURL(/sort=title/);
    await page.getByRole('table', { name: 'Spec items' }).locator('tbody tr').first().filter({ hasText: 'Brass gear train' }).waitFor(); // the sorted answer
    assert.deepEqual(await titles(), ['T-1 Brass gear train', 'F-1 Changed by a colleague', 'F-2 Print results']);
    await page.getByText('3 in all').waitFor();

    await page.getByRole('link', { name: 'Settings and Team' }).click();
    await page.getByRole('heading', { name: 'Team', exact: true }).waitFor();
    await page.getByRole('textbox', { name: "Member's email" }).fill('nobody@example.com');
    await page.getByRole('button', { name: 'Add to team' }).click();
    await page.getByText('No member of this organization has that address.').waitFor();
    rig.assertNoProblems();
  });
});
