import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { insertOrganization } from '../src/orgs/store.js';
import { verifiedUser, type WebUser } from './helpers/accounts.js';
import { mailedLink, openPage } from './helpers/browser.js';
import type { Reply } from './helpers/http.js';
import { uniqueEmail } from './helpers/server.js';
import { logIn, saysAfter, startWebRig, tableRows, userMenu, type WebRig } from './helpers/web.js';

// Passkeys walked in Chromium as a person does, with Chromium's own virtual authenticator (DevTools
// WebAuthn domain: a platform authenticator with resident keys and user verification, as a laptop's
// fingerprint reader). The server runs at http://localhost:<port> (WebAuthn needs a domain for the
// relying party). Threats played with real browser-made assertions: a replay, an assertion for another
// browser's challenge, one made on a look-alike site, a removed passkey; and the second factor holding
// on every path a passkey-only person can take (reset by e-mail, device approval).

interface Authenticator {
  cdp: CDPSession;
  authenticatorId: string;
}

/** A virtual platform authenticator in the page's tab (it stays there across navigations). */
async function addAuthenticator(context: BrowserContext, page: Page): Promise<Authenticator> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function credentialsOf(authenticator: Authenticator) {
  return (await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId })).credentials;
}

function cookieOf(reply: Reply, name: string): string {
  const set = reply.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!set) throw new Error(`no ${name} cookie`);
  return set.split(';')[0]!;
}

/** Signed in: the user menu is there. */
async function signedIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Your account' }).waitFor();
}

/** A POST the page makes to `path` while `action` runs: its body, as sent. */
async function bodySentBy(page: Page, path: string, action: () => Promise<void>): Promise<string> {
  const sent = page.waitForRequest((request) => request.method() === 'POST' && new URL(request.url()).pathname === path);
  await action();
  return (await sent).postData() ?? '';
}

/** fetch() from the page itself (same origin, its cookies): what a script on the page could send. */
async function fetchFromPage(page: Page, path: string, body?: string): Promise<{ status: number; code: string | undefined }> {
  return page.evaluate(
    async ({ path, body }) => {
      const reply = await fetch(path, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body });
      const json = (await reply.json().catch(() => ({}))) as { error_code?: string };
      return { status: reply.status, code: json.error_code };
    },
    { path, body },
  );
}

describe('web app: passkeys in Chromium with a virtual authenticator', () => {
  let rig: WebRig;
  let context: BrowserContext;
  let page: Page;
  let authenticator: Authenticator;
  let user: WebUser;
  let lookAlike: Server;

  before(async () => {
    rig = await startWebRig({ FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000', FUNCSPEC_DEVICE_POLL_INTERVAL: '1s' }, 'localhost');
    ({ context, page } = await rig.open());
    authenticator = await addAuthenticator(context, page);
    user = await verifiedUser(rig.t, uniqueEmail('web-passkey'));
    // A look-alike site on another origin: a blank page on another port of localhost (so the same RP id).
    lookAlike = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>FuncSpec</title><p>Log in'),
    );
    await new Promise<void>((resolve) => lookAlike.listen(0, '127.0.0.1', () => resolve()));
  });
  after(async () => {
    lookAlike?.close();
    await rig?.close();
  });

  it('register a passkey in Account Settings (after the password), sign out, then sign in with it and no password', async () => {
    await page.goto(`${rig.origin}/`);
    await logIn(page, user.email, user.password);
    await signedIn(page);
    await userMenu(page, 'Account Settings');
    const section = page.getByRole('region', { name: 'Passkeys', exact: true });
    await section.getByText('No passkeys yet.').waitFor();
    await section.getByRole('button', { name: 'Add passkey' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a passkey' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('This laptop');
    await dialog.getByRole('textbox', { name: 'Password' }).fill('not the password');
    await dialog.getByRole('button', { name: 'Add passkey' }).click();
    await dialog.getByText('Your current password is wrong.').waitFor(); // a session alone adds no way in
    assert.equal((await credentialsOf(authenticator)).length, 0, 'nothing was created before the password');
    await dialog.getByRole('textbox', { name: 'Password' }).fill(user.password);
    await dialog.getByRole('button', { name: 'Add passkey' }).click();
    await section.getByText('Passkey “This laptop” added.').waitFor();
    await page
      .getByRole('region', { name: 'Two-factor authentication', exact: true })
      .getByText(/Your passkeys already make a log-in with your password ask for a second step/)
      .waitFor();
    const [row] = await tableRows(section);
    assert.equal(row![0], 'This laptop');
    assert.equal(row![2], 'Never', 'not used yet');
    const stored = await credentialsOf(authenticator);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.isResidentCredential, true, 'a discoverable credential: it signs in without a user name');
    assert.equal(stored[0]!.rpId, 'localhost', 'the RP id is the hostname of PUBLIC_URL');

    await userMenu(page, 'Log out');
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await signedIn(page);
    assert.equal(await page.getByRole('textbox', { name: 'Password' }).count(), 0);
    const session = (await context.cookies()).find((c) => c.name === 'funcspec_session');
    assert.ok(session?.httpOnly, 'the same HttpOnly session cookie as a password login');
    await userMenu(page, 'Account Settings');
    const listed = page.getByRole('region', { name: 'Passkeys', exact: true });
    await listed.locator('tbody tr').first().waitFor();
    const used = await tableRows(listed);
    assert.notEqual(used[0]![2], 'Never', 'last used is shown');
    rig.assertNoProblems();
  });

  it('a passkey as the second factor after a password: the second step offers "Use a passkey" (and no code box without TOTP)', async () => {
    await userMenu(page, 'Log out');
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    await logIn(page, user.email, user.password);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Authentication code' }).count(), 0, 'no TOTP: no code to type');
    assert.ok(!(await context.cookies()).some((c) => c.name === 'funcspec_session'), 'the password alone signed nobody in');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await signedIn(page);
    rig.assertNoProblems();
  });

  it('threat: a replayed assertion, an assertion for another challenge, one made on another origin, and a removed passkey are all refused', async () => {
    // Replay: the assertion this page just sent, sent again after asking for a fresh challenge.
    await userMenu(page, 'Log out');
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    const sent = await bodySentBy(page, '/api/v1/auth/passkeys/sign-in', () => page.getByRole('button', { name: 'Sign in with a passkey' }).click());
    await signedIn(page);
    await userMenu(page, 'Log out');
    await page.getByRole('heading', { name: 'Log in to FuncSpec' }).waitFor();
    assert.equal((await fetchFromPage(page, '/api/v1/auth/passkeys/sign-in/options')).status, 200);
    assert.deepEqual(
      await fetchFromPage(page, '/api/v1/auth/passkeys/sign-in', sent),
      { status: 400, code: 'PASSKEY_CHALLENGE_INVALID' },
      'a replay is refused',
    );

    // Another challenge: an assertion this browser made, never delivered, handed to another browser with its own challenge.
    let held = '';
    await page.route('**/api/v1/auth/passkeys/sign-in', async (route) => {
      held = route.request().postData() ?? '';
      await route.fulfill({
        status: 400,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 400, error_code: 'PASSKEY_CHALLENGE_INVALID', message: 'held back by the test', details: {}, request_id: 'test' }),
      });
    });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('This passkey request has expired or was already used. Try again.').waitFor();
    await page.unroute('**/api/v1/auth/passkeys/sign-in');
    assert.ok(held.length > 0);
    const other = await rig.open();
    await other.page.goto(`${rig.origin}/`);
    assert.equal((await fetchFromPage(other.page, '/api/v1/auth/passkeys/sign-in/options')).status, 200);
    assert.deepEqual(
      await fetchFromPage(other.page, '/api/v1/auth/passkeys/sign-in', held),
      { status: 400, code: 'PASSKEY_CHALLENGE_INVALID' },
      'bound to the attempt that asked',
    );
    assert.ok(!(await other.context.cookies()).some((c) => c.name === 'funcspec_session'));

    // Another origin: a look-alike site relays a real challenge; Chromium signs it for the look-alike's origin.
    const options = await rig.t.request('POST', '/api/v1/auth/passkeys/sign-in/options');
    const phishing = await openPage(rig.browser); // its own tab and problems: it is not the app
    const stolen = await addAuthenticator(phishing.context, phishing.page);
    for (const credential of await credentialsOf(authenticator)) {
      await stolen.cdp.send('WebAuthn.addCredential', { authenticatorId: stolen.authenticatorId, credential });
    }
    await phishing.page.goto(`http://localhost:${(lookAlike.address() as { port: number }).port}/`);
    // (Written as page source: the page is not the app, and has no library to turn the options into bytes.)
    const assertion = (await phishing.page.evaluate(`(async () => {
      const options = ${JSON.stringify(options.body.data)};
      const challenge = Uint8Array.from(atob(options.challenge.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const credential = await navigator.credentials.get({ publicKey: { challenge, rpId: options.rpId, userVerification: 'required' } });
      return credential.toJSON();
    })()`)) as { response: { clientDataJSON: string } };
    assert.match(JSON.parse(Buffer.from(assertion.response.clientDataJSON, 'base64url').toString()).origin, /^http:\/\/localhost:\d+$/);
    const relayed = await rig.t.request('POST', '/api/v1/auth/passkeys/sign-in', {
      cookie: cookieOf(options, 'funcspec_passkey'),
      body: { response: assertion },
    });
    assert.equal(relayed.status, 401);
    assert.equal(relayed.body.error_code, 'PASSKEY_INVALID', 'an assertion made on another origin never signs in');
    await phishing.context.close();

    // A removed passkey: removed in Account Settings (with the password); the authenticator still offers it.
    await page.goto(`${rig.origin}/`);
    await logIn(page, user.email, user.password);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await signedIn(page);
    await userMenu(page, 'Account Settings');
    const section = page.getByRole('region', { name: 'Passkeys', exact: true });
    await section.getByRole('button', { name: 'Remove passkey This laptop' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove passkey “This laptop”?' });
    await confirm.getByRole('textbox', { name: 'Password' }).fill('not the password');
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.getByText('Your current password is wrong.').waitFor();
    await confirm.getByRole('textbox', { name: 'Password' }).fill(user.password);
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await section.getByText('Passkey “This laptop” removed.').waitFor();
    await section.getByText('No passkeys yet.').waitFor();
    await userMenu(page, 'Log out');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    assert.deepEqual(await saysAfter(page), {
      text: 'That passkey could not be verified. It may have been removed from your account: sign in another way, then add it again.',
      ok: false,
    });
    assert.ok(!(await context.cookies()).some((c) => c.name === 'funcspec_session'), 'a removed passkey signs nobody in');
    await other.context.close();
    rig.assertNoProblems();
  });

  it('a user with only a passkey can still recover by e-mail, and the second factor still holds afterwards', async () => {
    const person = await verifiedUser(rig.t, uniqueEmail('web-passkey-recover'));
    const opened = await rig.open();
    const own = await addAuthenticator(opened.context, opened.page);
    const p = opened.page;
    await p.goto(`${rig.origin}/`);
    await logIn(p, person.email, person.password);
    await signedIn(p);
    await userMenu(p, 'Account Settings');
    await p.getByRole('button', { name: 'Add passkey' }).click();
    await p.getByRole('dialog', { name: 'Add a passkey' }).getByRole('textbox', { name: 'Name' }).fill('Phone');
    await p.getByRole('dialog', { name: 'Add a passkey' }).getByRole('textbox', { name: 'Password' }).fill(person.password);
    await p.getByRole('dialog', { name: 'Add a passkey' }).getByRole('button', { name: 'Add passkey' }).click();
    await p.getByText('Passkey “Phone” added.').waitFor();
    assert.equal((await credentialsOf(own)).length, 1);
    await userMenu(p, 'Log out');

    // Forgot the password: the mailed link sets a new one.
    await p.getByRole('link', { name: 'Forgot your password?' }).click();
    await p.getByRole('button', { name: 'Mail me a reset link' }).waitFor(); // the sign-in page's Email box is gone
    const mails = rig.t.mail.to(person.email).length;
    await p.getByRole('textbox', { name: 'Email' }).fill(person.email);
    await p.getByRole('button', { name: 'Mail me a reset link' }).click();
    assert.equal((await saysAfter(p)).ok, true);
    await p.goto(mailedLink(await rig.t.mail.waitFor(person.email, { after: mails }), '/reset-password').replace(rig.t.url, rig.origin));
    const newPassword = 'Harbor-Violet-Engine-77';
    await p.getByRole('textbox', { name: 'New password', exact: true }).fill(newPassword);
    await p.getByRole('textbox', { name: 'Repeat the new password' }).fill(newPassword);
    await p.getByRole('button', { name: 'Set the new password' }).click();
    assert.equal((await saysAfter(p)).ok, true);
    assert.ok(!(await opened.context.cookies()).some((c) => c.name === 'funcspec_session'), 'the reset signed nobody in');

    // The new password is one factor: the passkey is still asked for.
    await p.goto(`${rig.origin}/`);
    await logIn(p, person.email, newPassword);
    await p.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    assert.ok(!(await opened.context.cookies()).some((c) => c.name === 'funcspec_session'), 'the new password alone signs nobody in');
    await p.getByRole('button', { name: 'Use a passkey' }).click();
    await signedIn(p);
    await opened.context.close();
    rig.assertNoProblems();
  });

  it('device approval for a passkey-only user follows the 2FA rule: /device asks for the password, then the passkey, then approves', async () => {
    const person = await verifiedUser(rig.t, uniqueEmail('web-passkey-device'));
    const org = await insertOrganization(rig.t.server.ctx.db, Date.now(), {
      name: 'Keyring',
      slug: `keyring-${person.id.slice(-6).toLowerCase()}`,
      ownerId: person.id,
    });
    const opened = await rig.open();
    await addAuthenticator(opened.context, opened.page);
    const p = opened.page;
    await p.goto(`${rig.origin}/`);
    await logIn(p, person.email, person.password);
    await signedIn(p);
    await userMenu(p, 'Account Settings');
    await p.getByRole('button', { name: 'Add passkey' }).click();
    await p.getByRole('dialog', { name: 'Add a passkey' }).getByRole('textbox', { name: 'Name' }).fill('Laptop');
    await p.getByRole('dialog', { name: 'Add a passkey' }).getByRole('textbox', { name: 'Password' }).fill(person.password);
    await p.getByRole('dialog', { name: 'Add a passkey' }).getByRole('button', { name: 'Add passkey' }).click();
    await p.getByText('Passkey “Laptop” added.').waitFor();
    await userMenu(p, 'Log out');

    const pair = (await rig.t.request('POST', '/api/v1/auth/device/code', { body: { client_name: 'passkey-laptop' } })).body.data;
    await p.goto(pair.verification_uri_complete);
    await logIn(p, person.email, person.password);
    await p.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    rig.t.clock.advance(pair.interval * 1000);
    const pending = await rig.t.request('POST', '/api/v1/auth/device/token', { body: { device_code: pair.device_code } });
    assert.equal(pending.body.error_code, 'AUTHORIZATION_PENDING', 'the password alone approved nothing');
    await p.getByRole('button', { name: 'Use a passkey' }).click();
    await p.getByRole('heading', { name: 'Connect the FuncSpec CLI', exact: true }).waitFor();
    await p.getByRole('button', { name: 'Approve' }).click();
    assert.deepEqual(await saysAfter(p), { text: `Approved: "passkey-laptop" gets a key in ${org.name}. You can close this page.`, ok: true });
    rig.t.clock.advance(pair.interval * 1000);
    const granted = await rig.t.request('POST', '/api/v1/auth/device/token', { body: { device_code: pair.device_code } });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    await opened.context.close();
    rig.assertNoProblems();
  });
});
