import type { FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import type { Api } from '../http/types.js';
import { randomToken } from '../lib/random.js';
import { sessionCookie } from './http.js';
import { principalForSession } from './sessions.js';

// The three pages mailed links and the CLI point at, until the web app replaces them. A GET only
// renders (mail scanners prefetch links); the user confirms, and the page's script POSTs JSON to the
// API from this origin, so the API's Origin rule and JSON-only bodies stay in force.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input,select{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1rem;margin-right:.5rem;padding:.5rem 1rem;font:inherit;cursor:pointer}
#status{margin-top:1rem;min-height:1.5rem}.error{color:#b00020}.ok{color:#1b5e20}[hidden]{display:none}
`;

/** Shared client code: POST JSON to the API and show the problem message on failure. */
const CLIENT = `
const statusEl = document.getElementById('status');
function show(text, ok) { statusEl.textContent = text; statusEl.className = ok ? 'ok' : 'error'; }
async function post(path, body) {
  const response = await fetch('/api/v1' + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) {}
  if (!response.ok) throw new Error((json && json.message) || ('Request failed (' + response.status + ')'));
  return json;
}
const params = new URLSearchParams(location.search);
`;

function render(reply: FastifyReply, title: string, body: string, script: string): FastifyReply {
  const nonce = randomToken(16);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · FuncSpec</title><style nonce="${nonce}">${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p id="status" role="status"></p>
<script nonce="${nonce}">${CLIENT}${script}</script>
</body></html>`;
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer') // the tokens in these URLs must not leak to other sites
    .header('x-frame-options', 'DENY') // no clickjacking of the confirm and approve buttons
    .header('x-content-type-options', 'nosniff')
    .header(
      'content-security-policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    )
    .send(html);
}

const page = { schema: { hide: true } } as const;

export async function accountPages(app: Api, ctx: AppContext): Promise<void> {
  app.get('/verify-email', page, async (_request, reply) =>
    render(
      reply,
      'Confirm your e-mail address',
      `<p>Press the button to confirm this address for your FuncSpec account.</p>
<form id="confirm"><button type="submit">Confirm my e-mail address</button></form>
<form id="choose" hidden><p>This link was opened in another browser than the one you signed up in, so no password is set yet: choose one.</p>
<label for="password">Password (8 to 256 characters)</label><input id="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256">
<button type="submit">Set password</button></form>`,
      `
const form = document.getElementById('confirm');
const choose = document.getElementById('choose');
let passwordToken = null;
if (!params.get('token')) { form.hidden = true; show('This link has no token: open the link from the e-mail again.', false); }
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await post('/auth/verify-email', { token: params.get('token') });
    form.hidden = true;
    if (result.data.password_set === false) { passwordToken = result.data.password_token; choose.hidden = false; show(result.data.user.email + ' is confirmed.', true); return; }
    show('Thank you: ' + result.data.user.email + ' is confirmed. You can now sign in.', true);
  } catch (error) { show(error.message, false); }
});
choose.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await post('/auth/password/reset', { token: passwordToken, password: document.getElementById('password').value });
    choose.hidden = true;
    show('Your password is set. You can now sign in.', true);
  } catch (error) { show(error.message, false); }
});`,
    ),
  );

  app.get('/reset-password', page, async (_request, reply) =>
    render(
      reply,
      'Reset your password',
      `<form id="reset" hidden>
<label for="password">New password (8 to 256 characters)</label><input id="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256">
<label for="confirm">Repeat it</label><input id="confirm" type="password" autocomplete="new-password" required>
<button type="submit">Set the new password</button></form>
<form id="forgot" hidden>
<label for="email">Your e-mail address</label><input id="email" type="email" autocomplete="email" required>
<button type="submit">Mail me a reset link</button></form>`,
      `
const reset = document.getElementById('reset');
const forgot = document.getElementById('forgot');
if (params.get('token')) reset.hidden = false; else forgot.hidden = false;
reset.addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = document.getElementById('password').value;
  if (password !== document.getElementById('confirm').value) return show('The two passwords differ.', false);
  try {
    await post('/auth/password/reset', { token: params.get('token'), password });
    reset.hidden = true;
    show('Your password is changed and every session was signed out. Sign in with the new password.', true);
  } catch (error) { show(error.message, false); }
});
forgot.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await post('/auth/password/forgot', { email: document.getElementById('email').value });
    forgot.hidden = true;
    show(result.data.message, true);
  } catch (error) { show(error.message, false); }
});`,
    ),
  );

  app.get('/device', page, async (request, reply) => {
    const token = sessionCookie(ctx, request);
    const principal = token ? await principalForSession(ctx, token) : null;
    if (!principal) {
      return render(
        reply,
        'Sign in to connect the FuncSpec CLI',
        `<form id="login">
<label for="email">E-mail</label><input id="email" type="email" autocomplete="email" required>
<label for="password">Password</label><input id="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<form id="second" hidden>
<label for="code">Code from your authenticator app (or a recovery code)</label><input id="code" autocomplete="one-time-code" required>
<button type="submit">Continue</button></form>`,
        `
let challenge = null;
const login = document.getElementById('login');
const second = document.getElementById('second');
login.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await post('/auth/login', { email: document.getElementById('email').value, password: document.getElementById('password').value });
    if (result.data.two_factor_required) { challenge = result.data.challenge_token; login.hidden = true; second.hidden = false; show('', true); return; }
    location.reload();
  } catch (error) { show(error.message, false); }
});
second.addEventListener('submit', async (event) => {
  event.preventDefault();
  try { await post('/auth/login/two-factor', { challenge_token: challenge, code: document.getElementById('code').value }); location.reload(); }
  catch (error) { show(error.message, false); }
});`,
      );
    }

    const memberships = await ctx.db
      .selectFrom('memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.org_id')
      .select(['o.id', 'o.name', 'o.slug'])
      .where('m.user_id', '=', principal.user.id)
      .orderBy('m.created_at')
      .orderBy('o.id')
      .execute();
    const options = memberships.map((org) => `<option value="${escapeHtml(org.id)}">${escapeHtml(org.name)} (${escapeHtml(org.slug)})</option>`).join('');
    const form = memberships.length
      ? `<form id="decide">
<label for="user_code">Code shown by the CLI</label><input id="user_code" autocomplete="off" required maxlength="32" placeholder="XXXX-XXXX">
<p id="request" aria-live="polite"></p>
<label for="org">Organization the CLI's key will act in</label><select id="org">${options}</select>
<button type="submit" id="approve">Approve</button><button type="button" id="deny">Deny</button></form>`
      : `<p>You are not a member of any organization yet, so there is nothing the CLI could act in.</p>`;
    return render(
      reply,
      'Connect the FuncSpec CLI',
      `<p>Signed in as <strong>${escapeHtml(principal.user.email)}</strong>. Approve only if you started <code>funcspec auth login</code> yourself and the code matches.</p>
${form}`,
      `
const decide = document.getElementById('decide');
if (decide) {
  const input = document.getElementById('user_code');
  input.value = params.get('user_code') || '';
  // Once a whole code is typed, say what asked for it, so a code from someone else's message stands out.
  const about = document.getElementById('request');
  let inspected = '';
  async function inspect() {
    const code = input.value.toUpperCase().replace(/[\\s-]/g, '');
    if (code.length !== 8 || code === inspected) return;
    inspected = code;
    try {
      const pending = (await post('/auth/device/inspect', { user_code: input.value })).data;
      about.textContent = 'Requested by "' + pending.client_name + '"' + (pending.requested_ip ? ' from ' + pending.requested_ip : '') +
        ' at ' + new Date(pending.requested_at).toLocaleString() + '. Approve only if that was you, just now.';
      about.className = 'ok';
    } catch (error) { about.textContent = error.message; about.className = 'error'; }
  }
  input.addEventListener('input', inspect);
  void inspect();
  decide.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const result = await post('/auth/device/approve', { user_code: input.value, organization_id: document.getElementById('org').value });
      decide.hidden = true;
      show('Approved: "' + result.data.client_name + '" gets a key in ' + result.data.organization.name + '. You can close this page.', true);
    } catch (error) { show(error.message, false); }
  });
  document.getElementById('deny').addEventListener('click', async () => {
    try { await post('/auth/device/deny', { user_code: input.value }); decide.hidden = true; show('Denied: the CLI gets no key.', true); }
    catch (error) { show(error.message, false); }
  });
}`,
    );
  });
}
