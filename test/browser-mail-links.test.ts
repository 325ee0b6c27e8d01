import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { insertOrganization } from '../src/orgs/store.js';
import { enableTotp, GOOD_PASSWORD, loginCookie, nextStep, signUpCookieOf, totpAt, verifiedUser, type WebUser } from './helpers/accounts.js';
import { launchChromium, mailedLink, openPage, startBrowsableServer } from './helpers/browser.js';
import { uniqueEmail, type TestServer } from './helpers/server.js';

// The links in mails and the URL the CLI prints are opened by people, in browsers. These tests open
// them in a real headless Chromium and click through the pages, so a page that only looks right in its
// HTML (a script error, a CSP block, an Origin the API refuses) fails here. Each GET of a link is also
// checked to change nothing by itself: mail scanners fetch links too.

function login(t: TestServer, email: string, password: string) {
  return t.request('POST', '/api/v1/auth/login', { body: { email, password } });
}

function pollToken(t: TestServer, deviceCode: string) {
  return t.request('POST', '/api/v1/auth/device/token', { body: { device_code: deviceCode } });
}

async function startDeviceLogin(t: TestServer, clientName: string) {
  const reply = await t.request('POST', '/api/v1/auth/device/code', { body: { client_name: clientName } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; interval: number };
}

let orgCounter = 0;
async function addOrg(t: TestServer, user: WebUser, name: string): Promise<{ id: string; name: string; slug: string }> {
  orgCounter += 1;
  const org = await insertOrganization(t.server.ctx.db, Date.now(), {
    name,
    slug: `${name.toLowerCase()}-${orgCounter}-${user.id.slice(-6).toLowerCase()}`,
    ownerId: user.id,
  });
  return { id: org.id, name: org.name, slug: org.slug };
}

/** The headers Chromium put on the page's next POST to `path`, while `action` runs. */
async function postSentBy(page: Page, path: string, action: () => Promise<void>): Promise<Record<string, string>> {
  const sent = page.waitForRequest((request) => request.method() === 'POST' && new URL(request.url()).pathname === `/api/v1${path}`);
  await action();
  return (await sent).allHeaders();
}

/** What the page says after an action: a success (role status) or a refusal (role alert), whichever comes. */
async function statusText(page: Page): Promise<{ text: string; ok: boolean }> {
  const said = page.locator('[role=status].alert, [role=alert]').filter({ hasText: /\S/ }).first();
  await said.waitFor();
  return { text: ((await said.textContent()) ?? '').trim(), ok: (await said.getAttribute('role')) === 'status' };
}

/** Signs in on the app's sign-in page the person was sent to (password, then the 2FA code when asked). */
async function logInOnPage(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('mailed links and the CLI login page, clicked through in headless Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let problems: string[] = [];

  before(async () => {
    browser = await launchChromium();
    t = await startBrowsableServer({ FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS: '100' }); // every test's code guesses come from 127.0.0.1
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  async function freshPage(): Promise<Page> {
    const opened = await openPage(browser, { origin: t.url });
    context = opened.context;
    problems = opened.problems;
    return opened.page;
  }

  afterEach(async () => {
    await context?.close();
    context = undefined;
    assert.deepEqual(problems, [], 'the page ran without script errors, CSP violations or failed requests');
  });

  it('clicking the mailed verification link in Chromium verifies the address (GET alone changes nothing)', async () => {
    const email = uniqueEmail('browser-verify');
    const signUp = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(signUp.status, 202, JSON.stringify(signUp.body));
    const link = mailedLink(await t.mail.waitFor(email), '/verify-email');
    assert.ok(link.startsWith(`${t.url}/verify-email?token=`), `the mailed link opens this server: ${link}`);
    assert.equal((await login(t, email, GOOD_PASSWORD)).body.error_code, 'EMAIL_NOT_VERIFIED');

    const page = await freshPage();
    // This is the browser that signed up: it holds the sign-up cookie the answer set.
    const [name, value] = signUpCookieOf(signUp).split('=') as [string, string];
    await context!.addCookies([{ name, value, url: t.url }]);
    const opened = await page.goto(link);
    assert.equal(opened?.status(), 200);
    await page.getByRole('heading', { name: 'Confirm your e-mail address' }).waitFor();
    const confirm = page.getByRole('button', { name: 'Confirm my e-mail address' });
    await confirm.waitFor();
    await page.reload(); // a second GET (a mail scanner, a reload) changes nothing either
    await page.waitForLoadState('networkidle');
    assert.equal((await login(t, email, GOOD_PASSWORD)).body.error_code, 'EMAIL_NOT_VERIFIED', 'opening the link alone verified nothing');

    const sent = await postSentBy(page, '/auth/verify-email', () => confirm.click());
    assert.match(sent['content-type'] ?? '', /^application\/json/, 'the page posts JSON, as the API requires');
    assert.deepEqual(await statusText(page), { text: `Thank you: ${email} is confirmed. You can now log in.`, ok: true });
    assert.equal(await page.getByRole('button', { name: 'Confirm my e-mail address' }).count(), 0, 'the button is gone once used');
    const signedIn = await login(t, email, GOOD_PASSWORD);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(signedIn.body.data.user.email, email);

    // The link works once: opened and confirmed again, the page says so instead of pretending.
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my e-mail address' }).click();
    assert.deepEqual(await statusText(page), { text: 'This link is invalid, expired or already used: ask for a new one.', ok: false });
  });

  it('the verification link opened in another browser than the one that signed up verifies the address and asks for a password', async () => {
    const email = uniqueEmail('browser-other');
    const signUp = await t.request('POST', '/api/v1/auth/sign-up', { body: { email, password: GOOD_PASSWORD } });
    assert.equal(signUp.status, 202);
    const link = mailedLink(await t.mail.waitFor(email), '/verify-email');
    const page = await freshPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my e-mail address' }).click();
    await page.getByRole('heading', { name: 'Choose a password' }).waitFor();
    assert.equal((await login(t, email, GOOD_PASSWORD)).body.error_code, 'INVALID_CREDENTIALS', "the sign-up's password is not active");
    await page.getByRole('textbox', { name: 'Password' }).fill('Chosen-Here-Instead-5');
    await page.getByRole('button', { name: 'Set password' }).click();
    assert.deepEqual(await statusText(page), { text: `Your password is set. Log in with ${email} and the new password.`, ok: true });
    assert.equal((await login(t, email, 'Chosen-Here-Instead-5')).status, 200);
  });

  it('the mailed password-reset link in Chromium sets the typed new password (GET alone changes nothing); the old password stops working', async () => {
    const user = await verifiedUser(t, uniqueEmail('browser-reset'));
    const before = t.mail.to(user.email).length;
    const oldSession = await loginCookie(t, user.email);
    const forgot = await t.request('POST', '/api/v1/auth/password/forgot', { body: { email: user.email } });
    assert.equal(forgot.status, 202);
    const link = mailedLink(await t.mail.waitFor(user.email, { after: before }), '/reset-password');
    assert.ok(link.startsWith(`${t.url}/reset-password?token=`), `the mailed link opens this server: ${link}`);

    const page = await freshPage();
    assert.equal((await page.goto(link))?.status(), 200);
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByRole('textbox', { name: 'New password', exact: true }).waitFor(); // the new-password form, not the "mail me a link" one
    assert.equal(await page.getByRole('button', { name: 'Mail me a reset link' }).count(), 0);
    await page.waitForLoadState('networkidle');
    assert.equal((await login(t, user.email, user.password)).status, 200, 'opening the link alone changed no password');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: oldSession })).status, 200, 'and ended no session');

    const newPassword = 'Harbor-Violet-Engine-77';
    const repeat = page.getByRole('textbox', { name: 'Repeat the new password' });
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill(newPassword);
    await repeat.fill(`${newPassword}x`);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('The two passwords differ.').waitFor();
    assert.equal(await repeat.getAttribute('aria-invalid'), 'true', 'the mistake is shown at the field it concerns');
    assert.equal((await login(t, user.email, user.password)).status, 200, 'a mistyped repeat changes nothing');

    await repeat.fill(newPassword);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    assert.deepEqual(await statusText(page), { text: 'Your password is changed and every session was signed out. Log in with the new password.', ok: true });

    const withNew = await login(t, user.email, newPassword);
    assert.equal(withNew.status, 200, JSON.stringify(withNew.body));
    const withOld = await login(t, user.email, user.password);
    assert.equal(withOld.status, 401);
    assert.equal(withOld.body.error_code, 'INVALID_CREDENTIALS');
    assert.equal((await t.request('GET', '/api/v1/auth/session', { cookie: oldSession })).status, 401, 'the session from before the reset is over');
  });

  /** The facts the /device page shows about a pending code: client, address, time. */
  async function requestFacts(page: Page): Promise<Record<string, string>> {
    const facts = page.locator('dl.facts');
    await facts.waitFor();
    const terms = await facts.locator('dt').allTextContents();
    const values = await facts.locator('dd').allTextContents();
    return Object.fromEntries(terms.map((term, i) => [term, values[i] ?? '']));
  }

  it('device login in Chromium: /device sends a visitor to log in and back, then shows who asked; pick the organization, approve; the CLI polls a working key (GET alone approves nothing)', async () => {
    const user = await verifiedUser(t, uniqueEmail('browser-device'));
    const alpha = await addOrg(t, user, 'Alpha');
    const beta = await addOrg(t, user, 'Beta');
    const pair = await startDeviceLogin(t, 'chromium-laptop');
    assert.equal(pair.verification_uri, `${t.url}/device`);

    const page = await freshPage();
    assert.equal((await page.goto(pair.verification_uri))?.status(), 200);
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    await logInOnPage(page, user.email, user.password);
    await page.getByRole('heading', { name: 'Connect the FuncSpec CLI', exact: true }).waitFor(); // back on /device, signed in
    assert.equal(new URL(page.url()).pathname, '/device');
    assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`Signed in as ${user.email.replace(/[.]/g, '\\.')}`));
    assert.ok(
      (await page.context().cookies()).some((c) => c.name === 'funcspec_session' && c.httpOnly),
      'the sign-in set the session cookie',
    );

    t.clock.advance(pair.interval * 1000);
    assert.equal((await pollToken(t, pair.device_code)).body.error_code, 'AUTHORIZATION_PENDING', 'signing in and opening the page approved nothing');

    const code = page.getByRole('textbox', { name: 'Code' });
    await code.fill('BCDF-GHJK'); // a whole code, but nobody's
    await page.getByText('No pending device login has this code: check it, or start the login on the device again.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).isDisabled(), true, 'nothing to approve for an unknown code');
    await code.fill(pair.user_code);
    const facts = await requestFacts(page);
    assert.equal(facts.Client, 'chromium-laptop', 'before deciding, the page says what asked for this code');
    assert.equal(facts.Address, '127.0.0.1');
    assert.ok(facts.Requested && facts.Requested.length > 5, `and when: ${facts.Requested}`);
    const organization = page.getByRole('combobox', { name: 'Organization' });
    assert.deepEqual(
      (await organization.locator('option').allTextContents()).sort(),
      [`Alpha (${alpha.slug})`, `Beta (${beta.slug})`],
      'my organizations to pick from (in the order the API lists them)',
    );
    await organization.selectOption(beta.id);
    const sent = await postSentBy(page, '/auth/device/approve', () => page.getByRole('button', { name: 'Approve' }).click());
    assert.equal(sent.origin, t.url, "the cookie-authenticated approval carries PUBLIC_URL's Origin, which the CSRF rule checks");
    assert.match(sent['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(await statusText(page), { text: `Approved: "chromium-laptop" gets a key in Beta. You can close this page.`, ok: true });

    t.clock.advance(pair.interval * 1000);
    const granted = await pollToken(t, pair.device_code);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal(granted.body.data.organization.id, beta.id, 'the key acts in the organization picked on the page');
    const me = await t.request('GET', '/api/v1/me', { headers: { 'X-API-Key': granted.body.data.api_key } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.data.auth, 'api_key');
    assert.equal(me.body.data.user.id, user.id);
    assert.equal(me.body.data.organization.id, beta.id);
    assert.equal(me.body.data.api_key.name, 'funcspec CLI on chromium-laptop');
  });

  it("device login in Chromium with TOTP on: after the password the page asks for the authenticator code (a wrong one is refused), then approval from the CLI's full link gives a working key", async () => {
    const user = await verifiedUser(t, uniqueEmail('browser-totp'));
    const org = await addOrg(t, user, 'Gamma');
    const { secret } = await enableTotp(t, await loginCookie(t, user.email));
    const pair = await startDeviceLogin(t, 'totp-laptop');
    assert.equal(pair.verification_uri_complete, `${t.url}/device?user_code=${pair.user_code}`);

    const page = await freshPage();
    assert.equal((await page.goto(pair.verification_uri_complete))?.status(), 200);
    await logInOnPage(page, user.email, user.password);
    const code = page.getByRole('textbox', { name: 'Authentication code' });
    await code.waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Password' }).count(), 0, 'the password form gave way to the code form');
    assert.ok(!(await page.context().cookies()).some((c) => c.name === 'funcspec_session'), 'the password alone signed nobody in');

    const nearby = [-30_000, 0, 30_000].map((skew) => totpAt(secret, t.clock.now() + skew));
    await code.fill(['000000', '111111', '222222', '333333'].find((c) => !nearby.includes(c))!); // no code valid now
    await page.getByRole('button', { name: 'Verify' }).click();
    const refused = await statusText(page);
    assert.equal(refused.ok, false);
    assert.match(refused.text, /^That code is wrong or was already used\./);
    assert.ok(!(await page.context().cookies()).some((c) => c.name === 'funcspec_session'), 'a wrong code signs nobody in');

    nextStep(t); // the code used to turn TOTP on is spent; the next 30-second step has a fresh one
    await code.fill(totpAt(secret, t.clock.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Connect the FuncSpec CLI', exact: true }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Code' }).inputValue(), pair.user_code, "the code from the CLI's link is filled in");
    assert.equal((await requestFacts(page)).Client, 'totp-laptop', 'and what asked for it is shown at once');
    t.clock.advance(pair.interval * 1000);
    assert.equal((await pollToken(t, pair.device_code)).body.error_code, 'AUTHORIZATION_PENDING', 'opening the full link approved nothing');

    await page.getByRole('button', { name: 'Approve' }).click();
    assert.deepEqual(await statusText(page), { text: `Approved: "totp-laptop" gets a key in Gamma. You can close this page.`, ok: true });
    t.clock.advance(pair.interval * 1000);
    const granted = await pollToken(t, pair.device_code);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    const me = await t.request('GET', '/api/v1/me', { headers: { 'X-API-Key': granted.body.data.api_key } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.data.user.id, user.id);
    assert.equal(me.body.data.organization.id, org.id);
  });

  it('device login in Chromium with a session cookie from an HTTP login: Deny on the page leaves the CLI with ACCESS_DENIED and no key', async () => {
    const user = await verifiedUser(t, uniqueEmail('browser-deny'));
    await addOrg(t, user, 'Delta');
    const pair = await startDeviceLogin(t, 'unknown-laptop');
    const cookie = await loginCookie(t, user.email);
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];

    const page = await freshPage();
    await page.context().addCookies([{ name, value, url: t.url, httpOnly: true, sameSite: 'Lax' }]);
    assert.equal((await page.goto(pair.verification_uri_complete))?.status(), 200);
    await page.getByRole('heading', { name: 'Connect the FuncSpec CLI', exact: true }).waitFor();
    assert.equal((await requestFacts(page)).Client, 'unknown-laptop');
    await page.getByRole('button', { name: 'Deny' }).click();
    assert.deepEqual(await statusText(page), { text: 'Denied: the CLI gets no key.', ok: true });

    t.clock.advance(pair.interval * 1000);
    const reply = await pollToken(t, pair.device_code);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error_code, 'ACCESS_DENIED');
    assert.equal((await t.server.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', user.id).execute()).length, 0);
  });
});
