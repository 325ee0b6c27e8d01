import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWellFormedKey } from '../keys/format.js';
import { notice, whoAmI, type Ctx, type Me } from './common.js';
import { checkProfileName, updateConfig } from './config.js';
import { ApiCallError, CliError, EXIT, UsageError } from './errors.js';
import { ApiClient } from './http.js';
import { openableUrl, openBrowser } from './browser.js';
import { clean, maskKey } from './output.js';
import { ask, choose, interactive, say, secret } from './prompts.js';

export interface LoginOptions {
  web?: boolean;
  withKey?: boolean;
  browser?: boolean;
}

interface Obtained {
  key: string;
  /** True when this login created the key (device flow, e-mail + password): logout then revokes it. */
  minted: boolean;
}

/** The name of keys minted here: the server adds "funcspec CLI on …" for the device flow itself. */
function clientName(): string {
  return hostname().slice(0, 100) || 'this machine';
}

/** `funcspec auth login`: obtain a key one of three ways, check it with GET /me, save it. */
export async function login(ctx: Ctx, options: LoginOptions): Promise<void> {
  if (options.web && options.withKey) throw new UsageError('use either --web or --with-key, not both');
  if (ctx.settings.profile !== null && !ctx.settings.file.hasProfile(ctx.settings.profile)) checkProfileName(ctx.settings.profile);
  let obtained: Obtained;
  if (options.withKey) obtained = { key: await keyFromStdin(), minted: false };
  else if (options.web) obtained = await deviceFlow(ctx, options);
  else {
    if (!interactive()) {
      throw new UsageError('auth login asks questions and needs a terminal', 'in scripts use `--with-key` (key on stdin) or `--web` (browser approval)');
    }
    const how = await choose(`Log in to ${ctx.settings.baseUrl}`, [
      { value: 'web', label: 'With a web browser', hint: 'approve this device while signed in; the way to use a passkey' },
      { value: 'password', label: 'With e-mail and password', hint: 'creates a key for this machine' },
      { value: 'paste', label: 'Paste an API key' },
    ]);
    if (how === 'web') obtained = await deviceFlow(ctx, options);
    else if (how === 'password') obtained = await passwordFlow(ctx, options);
    else
      obtained = {
        key: await secret('API key', (v) =>
          isWellFormedKey(v.trim()) ? undefined : 'That is not a FuncSpec API key (fs_live_… or fs_test_…, 46 characters).',
        ),
        minted: false,
      };
  }
  await saveKey(ctx, obtained);
}

async function keyFromStdin(): Promise<string> {
  if (process.stdin.isTTY) notice('Paste the API key, then press Enter and Ctrl-D:');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).length > 4096) throw new UsageError('--with-key expects one API key on stdin, not a longer text');
  }
  const key = Buffer.concat(chunks).toString('utf8').trim();
  if (!key) throw new UsageError('--with-key read nothing from stdin', 'pipe the key in, e.g. `funcspec auth login --with-key < key.txt`');
  if (!isWellFormedKey(key)) {
    throw new CliError('what --with-key read is not a FuncSpec API key (fs_live_… or fs_test_…, 46 characters, valid checksum); nothing was saved', EXIT.AUTH);
  }
  return key;
}

/** Checks the key with GET /me, then writes it into the profile in use (or the top level). */
async function saveKey(ctx: Ctx, obtained: Obtained): Promise<void> {
  const { settings } = ctx;
  const api = new ApiClient({ baseUrl: settings.baseUrl, apiKey: obtained.key, notice });
  let me: Me;
  try {
    me = await whoAmI(api);
  } catch (error) {
    if (error instanceof ApiCallError && error.status === 401) {
      throw new CliError(`the server refused the key (${error.code}: ${error.message}); nothing was saved`, EXIT.AUTH);
    }
    throw error;
  }
  const baseUrl = settings.get('base_url');
  // A server named by flag or variable for this login is remembered with the key it was checked against.
  const keepBaseUrl = baseUrl !== null && (baseUrl.source.endsWith(' flag') || baseUrl.source === 'FUNCSPEC_BASE_URL');
  let created = false;
  let active = true;
  updateConfig((file) => {
    created = settings.profile !== null && !file.hasProfile(settings.profile);
    active = settings.profile === null || file.data.top.active_profile === settings.profile;
    const section = settings.profile === null ? file.data.top : (file.data.profiles[settings.profile] ??= {});
    if (section.login_key_id && section.api_key && section.api_key !== obtained.key) {
      notice(
        `note: the key an earlier \`auth login\` created (${maskKey(section.api_key)}, ${section.login_key_id}) stays valid; \`funcspec keys revoke ${section.login_key_id}\` ends it`,
      );
    }
    section.api_key = obtained.key;
    if (obtained.minted && me.api_key) section.login_key_id = me.api_key.id;
    else delete section.login_key_id;
    if (keepBaseUrl) section.base_url = settings.baseUrl;
  }, settings.file.path);
  const org = me.organization ? `${me.organization.name} (${me.organization.slug})` : 'no organization';
  console.log(clean(`Logged in to ${settings.baseUrl} as ${me.user.email} in ${org}${me.role ? ` as ${me.role}` : ''}.`));
  console.log(
    `Saved key ${maskKey(obtained.key)} to ${settings.profile ? `${created ? 'new ' : ''}profile ${settings.profile}` : 'the top level'} of ${settings.file.path}`,
  );
  if (settings.profile !== null && !active && settings.profileSource === '--profile flag') {
    notice(`tip: use it with --profile ${settings.profile}, or make it the default: funcspec config profile use ${settings.profile}`);
  }
  if (process.env.FUNCSPEC_API_KEY) notice('note: FUNCSPEC_API_KEY is set in this shell and takes precedence over the saved key');
}

// ---------------------------------------------------------------- (a) browser: device authorization

interface DeviceCode {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval: number;
}

async function deviceFlow(ctx: Ctx, options: LoginOptions): Promise<Obtained> {
  const api = ctx.anonymous();
  const started = await api.call<{ data: DeviceCode }>('POST', '/auth/device/code', { auth: 'none', body: { client_name: clientName() } });
  const code = started.body.data;
  const target = code.verification_uri_complete ?? code.verification_uri;
  notice(`To log in, open ${clean(code.verification_uri)} and enter the code ${clean(code.user_code)}`);
  if (code.verification_uri_complete) notice(`(or open ${clean(code.verification_uri_complete)})`);
  if (options.browser !== false && !process.env.FUNCSPEC_NO_BROWSER) {
    if (!openableUrl(target, ctx.settings.baseUrl)) notice(`Not opening that page: it is not on ${ctx.settings.baseUrl}. Open it yourself if you trust it.`);
    else if (openBrowser(target, ctx.settings.baseUrl)) notice('Opened your browser.');
  }
  notice('Waiting for approval…');

  let interval = Math.max(1, Number(code.interval) || 5);
  const deadline = Date.now() + Math.max(1, Number(code.expires_in) || 900) * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    try {
      const token = await api.call<{ data: { api_key: string } }>('POST', '/auth/device/token', { auth: 'none', body: { device_code: code.device_code } });
      notice('Approved.');
      return { key: token.body.data.api_key, minted: true };
    } catch (error) {
      if (!(error instanceof ApiCallError)) throw error;
      switch (error.code) {
        case 'AUTHORIZATION_PENDING':
          continue;
        case 'SLOW_DOWN': {
          // RFC 8628 §3.5: every SLOW_DOWN adds 5 seconds for the rest of this flow (or what the server names).
          const named = Number(error.problem.details.interval);
          interval = Number.isFinite(named) && named > interval ? named : interval + 5;
          notice(`The server asked to poll less often; now every ${interval} s.`);
          continue;
        }
        case 'ACCESS_DENIED':
          throw new CliError('the request was denied in the browser; nothing was saved', EXIT.AUTH);
        case 'EXPIRED_TOKEN':
          throw new CliError('the code expired before it was approved; nothing was saved', EXIT.AUTH, 'run `funcspec auth login --web` again');
        default:
          throw error;
      }
    }
  }
  throw new CliError('the code expired before it was approved; nothing was saved', EXIT.AUTH, 'run `funcspec auth login --web` again');
}

// ---------------------------------------------------------------- (b) e-mail + password (+ TOTP)

const SESSION_COOKIES = ['__Host-funcspec_session', 'funcspec_session'];

function sessionCookie(headers: Headers): string | null {
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    const name = pair.slice(0, pair.indexOf('='));
    if (SESSION_COOKIES.includes(name)) return pair;
  }
  return null;
}

interface LoginData {
  user?: { email: string };
  two_factor_required?: boolean;
  challenge_token?: string;
  methods?: string[];
}

interface OrgSummary {
  id: string;
  name: string;
  slug: string;
  role?: string;
}

async function passwordFlow(ctx: Ctx, options: LoginOptions): Promise<Obtained> {
  const api = ctx.anonymous();
  const email = await ask('E-mail', (v) => (/^\S+@\S+$/.test(v.trim()) ? undefined : 'Enter your e-mail address.'));
  const password = await secret('Password', (v) => (v.length ? undefined : 'Enter your password.'));
  let reply = await signIn(api, '/auth/login', { email, password });
  if (reply.body.data.two_factor_required) {
    const methods = reply.body.data.methods ?? ['totp'];
    if (!methods.includes('totp')) {
      // A passkey answers only in a browser: the device flow gets this account a key there.
      say("Your account's second factor is a passkey, which works only in a web browser: continuing with the browser flow.");
      return deviceFlow(ctx, options);
    }
    if (methods.includes('passkey')) say('(To use your passkey instead, run `funcspec auth login --web` and sign in in the browser.)');
    const challenge = reply.body.data.challenge_token!;
    for (let attempt = 1; ; attempt += 1) {
      const code = await ask('Authentication code from your app (or a recovery code)', (v) => (v.trim() ? undefined : 'Enter the code.'));
      try {
        reply = await signIn(api, '/auth/login/two-factor', { challenge_token: challenge, code: code.replace(/\s+/g, '') });
        break;
      } catch (error) {
        if (error instanceof ApiCallError && error.code === 'TWO_FACTOR_INVALID' && attempt < 3) {
          say('That code was not accepted; try the next one.');
          continue;
        }
        throw error;
      }
    }
  }
  const cookie = sessionCookie(reply.headers);
  if (!cookie) throw new CliError('the server signed you in but sent no session cookie; nothing was saved');
  const session = new ApiClient({ baseUrl: api.baseUrl, cookie, notice });
  try {
    const { memberships } = (await session.get<{ data: { memberships: { organization: OrgSummary; role: string }[] } }>('/auth/session')).data;
    const orgs = memberships.map((m) => ({ ...m.organization, role: m.role }));
    if (orgs.length === 0)
      throw new CliError('you are not a member of any organization yet; create one (or accept an invitation) in the web app first; nothing was saved');
    const org =
      orgs.length === 1
        ? orgs[0]!
        : await choose(
            'Organization for this key',
            orgs.map((o) => ({ value: o, label: clean(`${o.name} (${o.slug})`), hint: o.role && clean(o.role) })),
          );
    // The key is minted the way the browser path mints it: this signed-in session approves a device
    // code for this machine, so every CLI key is a "funcspec CLI on <machine>" key from the same grant.
    const code = (await api.call<{ data: DeviceCode }>('POST', '/auth/device/code', { auth: 'none', body: { client_name: clientName() } })).body.data;
    await session.post('/auth/device/approve', { user_code: code.user_code, organization_id: org.id });
    return { key: await redeem(api, code), minted: true };
  } finally {
    // The web session was only a means to mint the key: end it, whatever happened.
    await session.call('POST', '/auth/logout').catch(() => undefined);
  }
}

/** Picks up the key of an approved device code (waiting out the poll interval if the server asks). */
async function redeem(api: ApiClient, code: DeviceCode): Promise<string> {
  let interval = Math.max(1, Number(code.interval) || 5);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      return (await api.call<{ data: { api_key: string } }>('POST', '/auth/device/token', { auth: 'none', body: { device_code: code.device_code } })).body.data
        .api_key;
    } catch (error) {
      if (!(error instanceof ApiCallError) || !['AUTHORIZATION_PENDING', 'SLOW_DOWN'].includes(error.code)) throw error;
      const named = Number(error.problem.details.interval);
      if (Number.isFinite(named) && named > interval) interval = named;
      await sleep(interval * 1000);
    }
  }
  throw new CliError('the server did not hand out the key; nothing was saved', EXIT.OTHER, 'run `funcspec auth login` again');
}

async function signIn(api: ApiClient, path: string, body: unknown) {
  try {
    return await api.call<{ data: LoginData }>('POST', path, { auth: 'none', body });
  } catch (error) {
    if (error instanceof ApiCallError && error.code === 'INVALID_CREDENTIALS') {
      throw new CliError(`${error.message} Nothing was saved.`, EXIT.AUTH);
    }
    throw error;
  }
}
