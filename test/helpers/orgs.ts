import assert from 'node:assert/strict';
import { loginCookie, verifiedUser } from './accounts.js';
import type { ReceivedMail } from './mailtrap.js';
import type { Reply, RequestOptions } from './http.js';
import { agentKey, uniqueEmail, type ServerPeer, type TestServer } from './server.js';

/** A person in the tests: their user id, e-mail and an API key bound to the organization in question. */
export interface Person {
  email: string;
  userId: string;
  /** A key acting in the organization the person was set up for. */
  key: string;
  /** The key of their personal organization (from agent sign-up). */
  personalKey: string;
  personalOrgId: string;
}

/** The invitation token in an invitation mail (`PUBLIC_URL/invitations/accept?token=…`). */
export function invitationToken(mail: ReceivedMail): string {
  const match = /\/invitations\/accept\?token=([A-Za-z0-9_%-]+)/.exec(mail.text);
  if (!match) throw new Error(`no invitation link in mail: ${mail.text}`);
  return decodeURIComponent(match[1]!);
}

/** A new user with a personal organization and its key (agent flow). */
export async function newPerson(t: ServerPeer, label = 'person'): Promise<Person> {
  const { email, key } = await agentKey(t, uniqueEmail(label));
  const me = await t.request('GET', '/api/v1/me', { key });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  return { email, userId: me.body.data.user.id, key, personalKey: key, personalOrgId: me.body.data.organization.id };
}

/** Invites `email` with `role` through the API and returns the token from the real mail. */
export async function inviteByMail(t: ServerPeer, inviter: RequestOptions, org: string, email: string, role: string): Promise<{ id: string; token: string }> {
  const before = t.mail.to(email).length;
  const reply = await t.request('POST', `/api/v1/organizations/${org}/invitations`, { ...inviter, body: { email, role } });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  const mail = await t.mail.waitFor(email, { after: before });
  return { id: reply.body.data.id, token: invitationToken(mail) };
}

/** Accepts with the invitee's own (personal) key; the answer carries a key for the organization joined. */
export async function accept(t: ServerPeer, key: string, token: string): Promise<Reply> {
  return t.request('POST', '/api/v1/invitations/accept', { key, body: { token } });
}

/** A new person who joined `org` with `role` through the real invitation flow; `key` acts in `org`. */
export async function joinOrg(t: ServerPeer, inviter: RequestOptions, org: string, role: 'admin' | 'member' | 'owner', label: string = role): Promise<Person> {
  const person = await newPerson(t, label);
  const { token } = await inviteByMail(t, inviter, org, person.email, role === 'owner' ? 'admin' : role);
  const accepted = await accept(t, person.personalKey, token);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  const joined = { ...person, key: accepted.body.data.api_key.key as string };
  if (role === 'owner') {
    const promoted = await t.request('PATCH', `/api/v1/organizations/${org}/members/${person.userId}`, { ...inviter, body: { role: 'owner' } });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
  }
  return joined;
}

export async function createProject(t: TestServer, as: RequestOptions, body: Record<string, unknown>): Promise<any> {
  const reply = await t.request('POST', '/api/v1/projects', { ...as, body });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body.data;
}

export async function addToTeam(t: TestServer, as: RequestOptions, projectId: string, userId: string, role: string): Promise<void> {
  const reply = await t.request('POST', `/api/v1/projects/${projectId}/members`, { ...as, body: { user_id: userId, role } });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
}

export async function createItem(t: TestServer, as: RequestOptions, projectId: string, body: Record<string, unknown> = {}): Promise<any> {
  const reply = await t.request('POST', `/api/v1/projects/${projectId}/spec/items`, {
    ...as,
    body: { type_of: 'functional', title: 'An item', ...body },
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body.data;
}

/** Settings that let one test file sign up (and sign in) many agents and web users from 127.0.0.1. */
export const MANY_AGENTS = {
  FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '1000',
  FUNCSPEC_AGENT_SIGNUPS_PER_IP: '100000',
  FUNCSPEC_AGENT_VERIFY_PER_IP: '100000',
  FUNCSPEC_INVITATIONS_PER_ORG: '100000',
  FUNCSPEC_INVITATIONS_PER_EMAIL: '100000',
  FUNCSPEC_ACCOUNT_MAILS_PER_IP: '100000',
  FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
};

/** A verified web user signed in with a password: their id, e-mail and session cookie. */
export async function webPerson(t: ServerPeer, label = 'web'): Promise<{ email: string; userId: string; cookie: string }> {
  const user = await verifiedUser(t, uniqueEmail(label));
  return { email: user.email, userId: user.id, cookie: await loginCookie(t, user.email, user.password) };
}
