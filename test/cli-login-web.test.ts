import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { insertOrganization } from '../src/orgs/store.js';
import { enableTotp, loginCookie, nextStep, sessionCookieOf, totpAt, verifiedUser, type WebUser } from './helpers/accounts.js';
import { cliFixture, readToml } from './helpers/cli.js';
import { SoftAuthenticator } from './helpers/passkeys.js';
import type { TestServer } from './helpers/server.js';
import type { Terminal } from './helpers/terminal.js';

let orgCounter = 0;
/** A verified web user (with a password) who owns a fresh organization. */
async function webUserWithOrg(t: TestServer, name = 'Acme'): Promise<{ user: WebUser; org: { id: string; slug: string } }> {
  const user = await verifiedUser(t);
  const org = await addOrg(t, user, name);
  return { user, org };
}

async function addOrg(t: TestServer, user: WebUser, name: string): Promise<{ id: string; slug: string }> {
  orgCounter += 1;
  const slug = `${name.toLowerCase()}-${orgCounter}-${user.id.slice(-6).toLowerCase()}`;
  const org = await insertOrganization(t.server.ctx.db, Date.now(), { name, slug, ownerId: user.id });
  return { id: org.id, slug: org.slug };
}

/** Picks the e-mail + password path in the login menu and answers its two prompts. */
async function answerEmailAndPassword(tty: Terminal, email: string, password: string): Promise<void> {
  await tty.waitFor(/With e-mail and password/);
  tty.press('Down', 'Enter');
  await tty.waitFor(/E-mail/);
  tty.type(email);
  tty.press('Enter');
  await tty.waitFor(/Password/);
  tty.type(password);
  tty.press('Enter');
}

describe('CLI: interactive auth login in a real terminal, browser and e-mail + password paths', () => {
  // A one-second poll interval keeps the browser path quick; the CLI must still wait it out between polls.
  const cli = cliFixture({ FUNCSPEC_DEVICE_POLL_INTERVAL: '1s' });
  const login = cli.login;

  it('browser path: prints the URL and the code, the test approves it over HTTP as a signed-in user, a working key is saved; auth logout revokes it', async () => {
    const { user, org } = await webUserWithOrg(cli.t);
    const cookie = await loginCookie(cli.t, user.email);
    const tty = login();
    await tty.waitFor(/With a web browser/);
    tty.press('Enter');
    const [, userCode] = await tty.waitFor(/open \S+\/device and enter the code ([A-Z]{4}-[A-Z]{4})/);
    await tty.waitFor(/Waiting for approval/);
    const approved = await cli.t.request('POST', '/api/v1/auth/device/approve', { cookie, body: { user_code: userCode, organization_id: org.id } });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.match(tty.screen(), new RegExp(`Logged in to .* as ${user.email.replace(/[.+]/g, '\\$&')} in Acme \\(${org.slug}\\) as owner`));

    const saved = readToml(cli.home.configFile);
    assert.match(saved.api_key, /^fs_live_[0-9A-Za-z]{38}$/);
    assert.ok(!tty.screen().includes(saved.api_key), 'the key never reaches the screen');
    const status = await cli.home.json(['auth', 'status']);
    assert.equal(status.user.email, user.email);
    assert.equal(status.organization.id, org.id);
    assert.equal(status.api_key.name, `funcspec CLI on ${hostname()}`);
    assert.equal(saved.login_key_id, status.api_key.id, 'remembered as a key login minted, for logout');

    // auth logout revokes the key login minted, then forgets it.
    const logout = await cli.home.run(['auth', 'logout']);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /^Revoked key fs_live_…\w{4} and removed it from the top level\.$/m);
    assert.equal((await cli.t.request('GET', '/api/v1/me', { key: saved.api_key })).status, 401, 'the minted key is dead on the server');
    assert.deepEqual(readToml(cli.home.configFile), { base_url: cli.t.url });
  });

  it('browser path with --web (no menu, no terminal needed) fails cleanly when the code is denied', async () => {
    const { user } = await webUserWithOrg(cli.t);
    const cookie = await loginCookie(cli.t, user.email);
    cli.newHome();
    let announced: (code: string) => void;
    const shown = new Promise<string>((resolve) => (announced = resolve));
    const run = cli.home.run(['auth', 'login', '--web', '--base-url', cli.t.url], {
      timeoutMs: 20_000,
      onStderr: (soFar) => {
        const match = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(soFar);
        if (match) announced(match[1]!);
      },
    });
    // The CLI prints the code on stderr; deny it as the signed-in user.
    const userCode = await shown;
    const denied = await cli.t.request('POST', '/api/v1/auth/device/deny', { cookie, body: { user_code: userCode } });
    assert.equal(denied.status, 200, JSON.stringify(denied.body));
    const result = await run;
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /To log in, open \S+\/device and enter the code [A-Z]{4}-[A-Z]{4}/);
    assert.match(result.stderr, /denied in the browser; nothing was saved/);
  });

  it('e-mail + password + TOTP path: prompts, a wrong code is re-asked, the organization is picked, a working key is saved, the web session is ended', async () => {
    const { user, org: first } = await webUserWithOrg(cli.t, 'Acme');
    const second = await addOrg(cli.t, user, 'Beta');
    const { secret } = await enableTotp(cli.t, await loginCookie(cli.t, user.email));
    nextStep(cli.t); // the enable code used this time step; a login needs the next one
    const startedAt = cli.t.clock.now();

    const tty = login();
    await answerEmailAndPassword(tty, user.email, user.password);
    await tty.waitFor(/Authentication code from your app/);
    const right = totpAt(secret, cli.t.clock.now());
    tty.type(right === '000000' ? '111111' : '000000');
    tty.press('Enter');
    await tty.waitFor(/That code was not accepted/);
    await tty.waitFor(/TWO_FACTOR_INVALID|Authentication code from your app[\s\S]*Authentication code from your app/);
    tty.type(right);
    tty.press('Enter');
    const screen = (await tty.waitFor(/Organization for this key[\s\S]*└/))[0];
    // Pick whichever organization the menu lists second.
    const order = [first, second].sort((a, b) => screen.indexOf(a.slug) - screen.indexOf(b.slug));
    tty.press('Down', 'Enter');
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.ok(!tty.screen().includes(user.password), 'the password is never echoed');

    const saved = readToml(cli.home.configFile);
    const status = await cli.home.json(['auth', 'status']);
    assert.equal(status.user.email, user.email);
    assert.equal(status.organization.id, order[1]!.id, 'the key acts in the organization picked');
    assert.equal(status.api_key.name, `funcspec CLI on ${hostname()}`);
    assert.equal(saved.login_key_id, status.api_key.id);
    const sessions = await cli.t.server.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .where('created_at', '>=', startedAt)
      .execute();
    assert.deepEqual(sessions, [], 'the web session the CLI opened was signed out again');
  });

  it('e-mail + password path for a passkey-only account: the CLI says a passkey works only in a browser and goes on with the browser flow; approved there, a key is saved', async () => {
    const { user, org } = await webUserWithOrg(cli.t);
    const cookie = await loginCookie(cli.t, user.email);
    const authenticator = new SoftAuthenticator(cli.t.server.ctx.config.publicOrigin);
    const options = await cli.t.request('POST', '/api/v1/auth/passkeys/registration/options', { cookie, body: { password: user.password } });
    const added = await cli.t.request('POST', '/api/v1/auth/passkeys', {
      cookie,
      body: { name: 'Laptop', response: authenticator.register(options.body.data).response },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));

    const tty = login();
    await answerEmailAndPassword(tty, user.email, user.password);
    await tty.waitFor(/second factor is a passkey, which works only in a web browser: continuing with the browser flow/);
    const [, userCode] = await tty.waitFor(/open \S+\/device and enter the code ([A-Z]{4}-[A-Z]{4})/);
    assert.doesNotMatch(tty.screen(), /Authentication code from your app/, 'no code is asked for: there is none');

    // In the browser the person signs in with the passkey, then approves the code.
    const signInOptions = await cli.t.request('POST', '/api/v1/auth/passkeys/sign-in/options');
    const attempt = signInOptions.headers
      .getSetCookie()
      .find((c) => c.startsWith('funcspec_passkey='))!
      .split(';')[0]!;
    const signedIn = await cli.t.request('POST', '/api/v1/auth/passkeys/sign-in', {
      cookie: attempt,
      body: { response: authenticator.assert(signInOptions.body.data) },
    });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const approved = await cli.t.request('POST', '/api/v1/auth/device/approve', {
      cookie: sessionCookieOf(signedIn),
      body: { user_code: userCode, organization_id: org.id },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(await tty.exitCode(), 0, tty.screen());
    assert.match(readToml(cli.home.configFile).api_key, /^fs_live_[0-9A-Za-z]{38}$/);
  });

  it('auth login --help says a passkey signs in through the browser flow', async () => {
    cli.newHome();
    const help = await cli.home.run(['auth', 'login', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout.replace(/\s+/g, ' '), /A passkey signs in only in a web browser: if your account uses one .* log in with --web/);
  });

  it("e-mail + password path: a wrong password exits 3 with the server's message and saves nothing", async () => {
    const { user } = await webUserWithOrg(cli.t);
    const tty = login();
    await answerEmailAndPassword(tty, user.email, 'Wrong-Password-123');
    assert.equal(await tty.exitCode(), 3, tty.screen());
    assert.match(tty.screen(), /error: .*Nothing was saved\./);
    assert.throws(() => readFileSync(cli.home.configFile), /ENOENT/);
  });
});
