import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { GOOD_PASSWORD, nextStep, totpAt, verifiedUser } from './helpers/accounts.js';
import { mailedLink } from './helpers/browser.js';
import { CliHome } from './helpers/cli.js';
import { uniqueEmail } from './helpers/server.js';
import { logIn, saysAfter, startWebRig, tableRows, userMenu, type WebRig } from './helpers/web.js';

// The account journeys of the web app, walked in Chromium as a person does: controls found by role and
// accessible name (CONTRACT §8), mail read from a real SMTP peer, TOTP codes computed by the test from
// the secret the page shows. One account is carried through the steps, as one person would.

describe('web app: sign-up, log-in, two-factor and sessions in Chromium', () => {
  let rig: WebRig;
  let context: BrowserContext;
  let page: Page;
  const email = uniqueEmail('web-journey');
  let secret = '';
  let recoveryCodes: string[] = [];

  before(async () => {
    // A one-second device poll interval keeps the CLI step quick (the CLI still waits it out between polls).
    rig = await startWebRig({ FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '4', FUNCSPEC_DEVICE_POLL_INTERVAL: '1s' });
    ({ context, page } = await rig.open());
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.t.url });
  });
  after(() => rig?.close());

  it('sign-up: / → Sign Up → "check your e-mail" → the mailed link (from the SMTP peer) → confirm → log in → create an organization', async () => {
    const { t } = rig;
    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    await page.getByRole('link', { name: 'Sign Up' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Grace Hopper');
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill('password');
    await page.getByRole('button', { name: 'Sign Up' }).click();
    await page.getByText(/too easy to guess/).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Password' }).getAttribute('aria-invalid'), 'true', 'a weak password is refused at its field');

    await page.getByRole('textbox', { name: 'Password' }).fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Sign Up' }).click();
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    assert.match((await page.locator('main').textContent()) ?? '', new RegExp(email.replace(/[.]/g, '\\.')));

    const link = mailedLink(await t.mail.waitFor(email), '/verify-email');
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my e-mail address' }).click();
    assert.deepEqual(await saysAfter(page), { text: `Thank you: ${email} is confirmed. You can now log in.`, ok: true });
    await page.getByRole('link', { name: 'Log in' }).click();
    assert.equal(await page.getByRole('textbox', { name: 'Email' }).inputValue(), email, 'the address is filled in');
    await page.getByRole('textbox', { name: 'Password' }).fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.getByRole('heading', { name: 'Welcome, Grace Hopper' }).waitFor();
    await page.getByRole('button', { name: 'Create organization' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create organization' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Hopper Labs');
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Hopper Labs', level: 1 }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/orgs\/hopper-labs/);
    assert.equal(await page.getByRole('button', { name: 'Switch organization' }).textContent(), 'Hopper Labs▾');
    rig.assertNoProblems();
  });

  it('account settings: profile name; 2FA enrolment shows a QR code and the secret as text, a code computed from it turns 2FA on, the recovery codes are shown once with Copy and Download', async () => {
    const { t } = rig;
    await userMenu(page, 'Account Settings');
    await page.getByRole('heading', { name: 'Account Settings' }).waitFor();
    for (const section of ['Profile', 'Password', 'Two-factor authentication', 'Sessions']) {
      await page.getByRole('region', { name: section, exact: true }).waitFor();
    }
    const profile = page.getByRole('region', { name: 'Profile', exact: true });
    await profile.getByRole('textbox', { name: 'Name' }).fill('Grace B. Hopper');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await profile.getByText('Your profile is saved.').waitFor();
    await page.getByRole('button', { name: 'Your account' }).filter({ hasText: 'Grace B. Hopper' }).waitFor();

    const twoFactor = page.getByRole('region', { name: 'Two-factor authentication', exact: true });
    await twoFactor.getByRole('button', { name: 'Enable 2FA' }).click();
    await twoFactor.getByRole('textbox', { name: 'Password' }).fill('not-my-password');
    await twoFactor.getByRole('button', { name: 'Continue' }).click();
    await twoFactor.getByText('Your current password is wrong.').waitFor();
    await twoFactor.getByRole('textbox', { name: 'Password' }).fill(GOOD_PASSWORD);
    await twoFactor.getByRole('button', { name: 'Continue' }).click();

    const qr = twoFactor.getByRole('img', { name: /QR code/ });
    await qr.waitFor();
    assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/png;base64,/);
    assert.equal(
      await qr.evaluate((img: { decode(): Promise<void>; naturalWidth: number }) => img.decode().then(() => img.naturalWidth > 100)),
      true,
      'the QR code is drawn',
    );
    secret = ((await twoFactor.getByLabel('Two-factor secret').textContent()) ?? '').trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/, 'the secret is shown as text');

    await twoFactor.getByRole('textbox', { name: 'Authentication code' }).fill(totpAt(secret, t.clock.now()));
    await twoFactor.getByRole('button', { name: 'Verify' }).click();
    const codes = twoFactor.getByRole('list', { name: 'Recovery codes' });
    await codes.waitFor();
    recoveryCodes = (await codes.getByRole('listitem').allTextContents()).map((c) => c.trim());
    assert.equal(recoveryCodes.length, 10);
    await twoFactor.getByRole('button', { name: 'Copy' }).click();
    await twoFactor.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), recoveryCodes.join('\n'));
    const [download] = await Promise.all([page.waitForEvent('download'), twoFactor.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'funcspec-recovery-codes.txt');
    const saved = readFileSync((await download.path())!, 'utf8');
    for (const code of recoveryCodes) assert.ok(saved.includes(code), 'the downloaded file holds every code');
    await twoFactor.getByRole('button', { name: 'I have saved them' }).click();
    assert.equal(await twoFactor.getByRole('list', { name: 'Recovery codes' }).count(), 0, 'the codes are not shown again');
    await twoFactor.getByText('On', { exact: true }).waitFor();
    rig.assertNoProblems();
  });

  it('log out, then log in with a TOTP code; log out, then log in with a recovery code (a used one is refused)', async () => {
    const { t } = rig;
    await userMenu(page, 'Log out');
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    assert.ok(!(await context.cookies()).some((c) => c.name === 'funcspec_session'), 'the cookie is gone');

    nextStep(t); // the enrolment code is spent
    await logIn(page, email, GOOD_PASSWORD, totpAt(secret, t.clock.now()));
    await page.getByRole('heading', { name: 'Hopper Labs', level: 1 }).waitFor();

    await userMenu(page, 'Log out');
    await logIn(page, email, GOOD_PASSWORD, recoveryCodes[0]);
    await page.getByRole('heading', { name: 'Hopper Labs', level: 1 }).waitFor();

    await userMenu(page, 'Log out');
    await logIn(page, email, GOOD_PASSWORD, recoveryCodes[0]);
    const refused = await saysAfter(page);
    assert.equal(refused.ok, false);
    assert.match(refused.text, /^That code is wrong or was already used\./, 'a recovery code works once');
    await page.getByRole('textbox', { name: 'Authentication code' }).fill(recoveryCodes[1]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Hopper Labs', level: 1 }).waitFor();
    rig.assertNoProblems();
  });

  // Before the sessions step moves the server's clock a day on: throttle windows in Redis run on real time.
  it('a throttled log-in says when to retry (429)', async () => {
    const user = await verifiedUser(rig.t, uniqueEmail('web-throttle'));
    const { page: fresh } = await rig.open();
    await fresh.goto(`${rig.t.url}/sign-in`);
    for (let i = 0; i < 4; i++) {
      await logIn(fresh, user.email, 'Wrong-Password-Guess-1');
      assert.equal((await saysAfter(fresh)).text, 'The e-mail address or the password is wrong.');
    }
    await logIn(fresh, user.email, 'Wrong-Password-Guess-1');
    await fresh.getByText(/^Too many attempts for now\. Try again in \d+ (seconds|minutes)\.$/).waitFor();
    rig.assertNoProblems();
  });
  it('sessions: this device is marked; signing out another session ends it; an expired session leads to the sign-in page and back', async () => {
    const { t } = rig;
    nextStep(t);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email, password: GOOD_PASSWORD }, headers: { 'user-agent': 'curl/8.5.0' } });
    const second = await t.request('POST', '/api/v1/auth/login/two-factor', {
      body: { challenge_token: login.body.data.challenge_token, code: totpAt(secret, t.clock.now()) },
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const otherCookie = second.headers.getSetCookie()[0]!.split(';')[0]!;

    await userMenu(page, 'Account Settings');
    const sessions = page.getByRole('region', { name: 'Sessions', exact: true });
    await sessions.locator('table').waitFor();
    const rows = await tableRows(sessions);
    assert.equal(rows.length, 2, JSON.stringify(rows));
    assert.equal(rows.filter((row) => row[0]!.includes('This device')).length, 1, 'exactly one row is this device');
    assert.ok(
      rows.some((row) => row[0]!.startsWith('A script')),
      'the other session is described by its user agent',
    );

    await sessions.getByRole('button', { name: /^Sign out A script/ }).click();
    await page.getByRole('dialog', { name: 'Sign out that session?' }).getByRole('button', { name: 'Sign out' }).click();
    await sessions.getByRole('button', { name: /^Sign out A script/ }).waitFor({ state: 'detached' });
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: otherCookie })).status, 401, 'that session is over');

    t.clock.advance(25 * 60 * 60 * 1000); // past the 24 h idle timeout
    const passwordSection = page.getByRole('region', { name: 'Password', exact: true });
    await passwordSection.getByRole('textbox', { name: 'Current password' }).fill(GOOD_PASSWORD);
    await passwordSection.getByRole('textbox', { name: 'New password' }).fill('Another-Orbit-Lantern-43');
    await passwordSection.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your session has ended. Log in again to continue where you were.').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('next'), '/account');
    await logIn(page, email, GOOD_PASSWORD, totpAt(secret, t.clock.now()));
    await page.getByRole('heading', { name: 'Account Settings' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/account', 'back where the person was');
    rig.assertNoProblems();
  });

  it('device approval for a `funcspec auth login --web` code: the page shows the client, address and time; Approve; the CLI saves a working key', async () => {
    const home = new CliHome();
    try {
      let shown: (code: string) => void = () => {};
      const codeShown = new Promise<string>((resolve) => (shown = resolve));
      const login = home.run(['auth', 'login', '--web', '--base-url', rig.t.url], {
        timeoutMs: 60_000,
        onStderr: (soFar) => {
          const match = /open (\S+\/device) and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(soFar);
          if (match) shown(match[2]!);
        },
      });
      const userCode = await codeShown;
      await page.goto(`${rig.t.url}/device?user_code=${userCode}`);
      await page.getByRole('heading', { name: 'Connect the FuncSpec CLI' }).waitFor();
      const facts = page.locator('dl.facts');
      await facts.waitFor();
      const text = (await facts.textContent()) ?? '';
      assert.ok(text.includes(`Client${hostname()}`), `the client is named: ${text}`);
      assert.ok(text.includes('Address127.0.0.1'), text);
      assert.match(text, /Requested.*\d/, 'and when it was asked for');
      assert.equal(await page.getByRole('combobox', { name: 'Organization' }).locator('option:checked').textContent(), 'Hopper Labs (hopper-labs)');
      await page.getByRole('button', { name: 'Approve' }).click();
      assert.deepEqual(await saysAfter(page), { text: `Approved: "${hostname()}" gets a key in Hopper Labs. You can close this page.`, ok: true });
      const result = await login;
      assert.equal(result.code, 0, result.stderr);
      const status = await home.ok(['auth', 'status']);
      assert.match(status, new RegExp(email.replace(/[.]/g, '\\.')), 'the CLI is logged in as this person');
    } finally {
      home.remove();
    }
    rig.assertNoProblems();
  });
});

describe('web app: keyboard only', () => {
  let rig: WebRig;
  before(async () => {
    rig = await startWebRig();
  });
  after(() => rig?.close());

  it('keyboard-only pass: sign-up, log-in and API key creation with Tab, typing and Enter, focus always visible on a named control', async () => {
    const { t } = rig;
    const { page } = await rig.open();
    const email = uniqueEmail('web-keyboard');
    await page.goto(`${t.url}/sign-up`);
    await page.getByRole('heading', { name: 'Create your FuncSpec account' }).waitFor();
    // Runs in the page: the focused control's tag, its label (or accessible text), and whether its focus ring shows.
    const focused = () =>
      page.evaluate<{ tag: string; name: string; outline: string }>(`(() => {
        const el = document.activeElement;
        const label = el && el.labels ? el.labels[0]?.textContent : null;
        return { tag: el?.tagName ?? '', name: (label ?? el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim(), outline: el ? getComputedStyle(el).outlineStyle : '' };
      })()`);
    const tabTo = async (name: RegExp) => {
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        const now = await focused();
        if (name.test(now.name)) {
          assert.notEqual(now.outline, 'none', `focus on ${now.name} is visible`);
          return;
        }
      }
      throw new Error(`Tab never reached ${name}`);
    };
    await tabTo(/^Name/);
    await page.keyboard.type('Key Board');
    await tabTo(/^Email$/);
    await page.keyboard.type(email);
    await tabTo(/^Password$/);
    await page.keyboard.type(GOOD_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();

    await page.goto(mailedLink(await t.mail.waitFor(email), '/verify-email'));
    await page.getByRole('button', { name: 'Confirm my e-mail address' }).waitFor();
    await tabTo(/^Confirm my e-mail address$/);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    await tabTo(/^Log in$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    await tabTo(/^Password$/);
    await page.keyboard.type(GOOD_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Welcome, Key Board' }).waitFor();

    await tabTo(/^Create organization$/);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Create organization' }).waitFor();
    await page.keyboard.type('Keys Inc'); // the dialog puts focus in its first field
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keys Inc', level: 1 }).waitFor();
    await page.goto(`${t.url}/orgs/keys-inc/settings/api-keys`);
    await page.getByRole('heading', { name: 'No API keys yet' }).waitFor();
    await tabTo(/^Create API Key$/);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Create API Key' }).waitFor();
    await page.keyboard.type('Keyboard key');
    await page.keyboard.press('Enter');
    const reveal = page.getByRole('dialog', { name: 'API key Keyboard key created' });
    await reveal.waitFor();
    assert.match(((await reveal.getByLabel('New API key').textContent()) ?? '').trim(), /^fs_(live|test)_[0-9A-Za-z]{38}$/);
    await tabTo(/^Done$/);
    await page.keyboard.press('Enter');
    await reveal.waitFor({ state: 'detached' });
    assert.equal((await focused()).name, 'Create API Key', 'closing the dialog gives focus back to the control that opened it');
    await page.getByRole('cell', { name: /^Keyboard key/ }).waitFor();
    rig.assertNoProblems();
  });
});
