import type { Command } from 'commander';
import { apiCommand, collect, context, notice, orgOf, pageOptions, type ListBody } from '../common.js';
import { UsageError } from '../errors.js';
import { seg, type ApiClient } from '../http.js';
import type { Column } from '../output.js';
import { confirmOrAbort } from '../prompts.js';

type Row = Record<string, any>;

const ORG_ROLES = ['owner', 'admin', 'member'];
const INVITATION_ROLES = ['admin', 'member'];

export const orgColumns: Column<Row>[] = [
  { header: 'SLUG', value: (o) => o.slug },
  { header: 'NAME', value: (o) => o.name },
  { header: 'ROLE', value: (o) => o.role ?? o.membership?.role },
  { header: 'PLAN', value: (o) => o.plan },
  { header: 'ID', value: (o) => o.id },
];

export const memberColumns: Column<Row>[] = [
  { header: 'USER_ID', value: (m) => m.user?.id ?? m.user_id },
  { header: 'EMAIL', value: (m) => m.user?.email ?? m.email },
  { header: 'NAME', value: (m) => m.user?.name ?? m.name },
  { header: 'ROLE', value: (m) => m.role },
  { header: 'SINCE', value: (m) => m.created_at },
];

function checkRole(role: string, roles: string[]): string {
  if (!roles.includes(role)) throw new UsageError(`role must be one of ${roles.join(', ')} (got "${role}")`);
  return role;
}

/** A member given by user id, or by e-mail (looked up in the member list). */
export async function memberId(api: ApiClient, membersPath: string, ref: string): Promise<string> {
  if (!ref.includes('@')) return seg(ref);
  const wanted = ref.trim().toLowerCase();
  for (let page = 1; ; page += 1) {
    const body = await api.get<ListBody<Row>>(membersPath, { page, per: 100 });
    const found = body.data.find((m) => String(m.user?.email ?? m.email ?? '').toLowerCase() === wanted);
    if (found) return seg(String(found.user?.id ?? found.user_id));
    if (body.data.length < 100) break;
  }
  throw new UsageError(`no member with e-mail ${ref}`, 'list them with `members list`');
}

export function registerOrgCommands(program: Command): void {
  const orgs = program.command('orgs').description('Organizations you belong to');

  pageOptions(apiCommand(orgs, 'list', 'Organizations you are a member of')).action(async (options: { page?: number; per?: number }, command: Command) => {
    const ctx = context(command);
    const body = await ctx.api().get<ListBody<Row>>('/organizations', { page: options.page, per: options.per });
    ctx.out.list(body.data, orgColumns, body.meta);
  });

  apiCommand(orgs, 'get', 'One organization (default: the one of your key)')
    .argument('[org]', 'id or slug')
    .action(async (ref: string | undefined, _options: unknown, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<{ data: Row }>(`/organizations/${await orgOf(api, ref)}`);
      ctx.out.record(body.data, undefined, body.data);
    });

  apiCommand(orgs, 'create', 'Create an organization; you become its owner')
    .argument('<name>')
    .option('--slug <slug>', 'URL name (default: from the name)')
    .action(async (name: string, options: { slug?: string }, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().post<{ data: Row }>('/organizations', { name, ...(options.slug ? { slug: options.slug } : {}) });
      ctx.out.done(`Created organization ${body.data.name} (${body.data.slug}, ${body.data.id}); you own it.`, body.data);
      // An API key acts in one organization: working in the new one needs a key there.
      if (!ctx.out.json)
        notice(`tip: your key acts in its own organization; for this one log in again and pick it: funcspec auth login --profile ${body.data.slug}`);
    });

  apiCommand(orgs, 'update', 'Rename an organization or set its allowed IPs (admin or owner)')
    .argument('[org]', 'id or slug (default: the one of your key)')
    .option('--name <name>', 'new name')
    .option('--allowed-ip <ip-or-cidr>', 'only accept key requests from here (repeat for several)', collect)
    .option('--any-ip', 'remove the IP allow-list')
    .action(async (ref: string | undefined, options: { name?: string; allowedIp?: string[]; anyIp?: boolean }, command: Command) => {
      const patch: Row = {};
      if (options.name !== undefined) patch.name = options.name;
      if (options.allowedIp && options.anyIp) throw new UsageError('use either --allowed-ip or --any-ip');
      if (options.allowedIp) patch.allowed_ips = options.allowedIp;
      if (options.anyIp) patch.allowed_ips = [];
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: pass --name, --allowed-ip or --any-ip');
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.patch<{ data: Row }>(`/organizations/${await orgOf(api, ref)}`, patch);
      ctx.out.done(`Updated organization ${body.data.slug}.`, body.data);
    });

  apiCommand(orgs, 'delete', 'Delete an organization with everything in it (owner)')
    .argument('<org>', 'id or slug')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, options: { yes?: boolean }, command: Command) => {
      const ctx = context(command);
      await confirmOrAbort(`Delete organization ${ref} with all its projects, items and keys?`, options.yes);
      await ctx.api().delete(`/organizations/${seg(ref)}`);
      ctx.out.done(`Deleted organization ${ref}.`);
    });

  apiCommand(orgs, 'billing', 'Plan, rate limit and credits (owner)')
    .argument('[org]', 'id or slug (default: the one of your key)')
    .action(async (ref: string | undefined, _options: unknown, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<{ data: Row }>(`/organizations/${await orgOf(api, ref)}/billing`);
      ctx.out.record(body.data, undefined, body.data);
    });

  apiCommand(orgs, 'transfer-ownership', 'Make another member the owner (owner)')
    .argument('<user>', 'user id or e-mail of a member')
    .option('--org <org>', 'organization id or slug (default: the one of your key)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (user: string, options: { org?: string; yes?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const org = await orgOf(api, options.org);
      const userId = await memberId(api, `/organizations/${org}/members`, user);
      await confirmOrAbort(`Transfer ownership of ${decodeURIComponent(org)} to ${user}?`, options.yes);
      const body = await api.post<{ data?: Row }>(`/organizations/${org}/transfer-ownership`, { user_id: decodeURIComponent(userId) });
      ctx.out.done(`Transferred ownership to ${user}.`, body?.data);
    });

  // ------------------------------------------------------------------ members
  const members = program.command('members').description('Members of an organization');
  const orgFlag = (command: Command) => command.option('--org <org>', 'organization id or slug (default: the one of your key)');

  pageOptions(orgFlag(apiCommand(members, 'list', 'Members and their roles'))).action(
    async (options: { org?: string; page?: number; per?: number }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<ListBody<Row>>(`/organizations/${await orgOf(api, options.org)}/members`, { page: options.page, per: options.per });
      ctx.out.list(body.data, memberColumns, body.meta);
    },
  );

  orgFlag(apiCommand(members, 'update', "Change a member's role (admin or owner)"))
    .argument('<user>', 'user id or e-mail')
    .requiredOption('--role <role>', ORG_ROLES.join('|'))
    .action(async (user: string, options: { org?: string; role: string }, command: Command) => {
      checkRole(options.role, ORG_ROLES);
      const ctx = context(command);
      const api = ctx.api();
      const org = await orgOf(api, options.org);
      const id = await memberId(api, `/organizations/${org}/members`, user);
      const body = await api.patch<{ data: Row }>(`/organizations/${org}/members/${id}`, { role: options.role });
      ctx.out.done(`${user} is now ${options.role}.`, body?.data);
    });

  orgFlag(apiCommand(members, 'remove', 'Remove a member (or leave, when it is you)'))
    .argument('<user>', 'user id or e-mail')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (user: string, options: { org?: string; yes?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const org = await orgOf(api, options.org);
      const id = await memberId(api, `/organizations/${org}/members`, user);
      await confirmOrAbort(`Remove ${user} from ${decodeURIComponent(org)}? Their keys for it stop working.`, options.yes);
      await api.delete(`/organizations/${org}/members/${id}`);
      ctx.out.done(`Removed ${user}.`);
    });

  // ------------------------------------------------------------------ invitations
  registerInvitationCommands(program, orgFlag);
}

/** `funcspec invitations …`: list, send, cancel and accept invitations. */
function registerInvitationCommands(program: Command, orgFlag: (command: Command) => Command): void {
  const invitations = program.command('invitations').description('Invitations to an organization');
  const invitationColumns: Column<Row>[] = [
    { header: 'ID', value: (i) => i.id },
    { header: 'EMAIL', value: (i) => i.email },
    { header: 'ROLE', value: (i) => i.role },
    { header: 'STATUS', value: (i) => i.status },
    { header: 'EXPIRES', value: (i) => i.expires_at },
  ];

  pageOptions(orgFlag(apiCommand(invitations, 'list', 'Open invitations'))).action(
    async (options: { org?: string; page?: number; per?: number }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<ListBody<Row>>(`/organizations/${await orgOf(api, options.org)}/invitations`, { page: options.page, per: options.per });
      ctx.out.list(body.data, invitationColumns, body.meta, 'No pending invitations.');
    },
  );

  orgFlag(apiCommand(invitations, 'create', 'Invite someone by e-mail (admin or owner)'))
    .argument('<email>')
    .option('--role <role>', INVITATION_ROLES.join('|'), 'member')
    .action(async (email: string, options: { org?: string; role: string }, command: Command) => {
      checkRole(options.role, INVITATION_ROLES);
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.post<{ data: Row }>(`/organizations/${await orgOf(api, options.org)}/invitations`, { email, role: options.role });
      ctx.out.done(`Invited ${email} as ${options.role} (${body.data.id}); the invitation is valid for 7 days.`, body.data);
    });

  orgFlag(apiCommand(invitations, 'revoke', 'Withdraw an invitation'))
    .argument('<id>')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, options: { org?: string; yes?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const org = await orgOf(api, options.org);
      await confirmOrAbort(`Withdraw invitation ${id}?`, options.yes);
      await api.delete(`/organizations/${org}/invitations/${seg(id)}`);
      ctx.out.done(`Withdrew invitation ${id}.`);
    });

  apiCommand(invitations, 'accept', 'Accept an invitation sent to your e-mail')
    .argument('<link-or-token>', 'the invitation link from the mail (quoted), or just its token')
    .action(async (linkOrToken: string, _options: unknown, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().post<{ data: Row }>('/invitations/accept', { token: invitationToken(linkOrToken) });
      const { organization: org, role, api_key: newKey } = body.data;
      if (ctx.out.json) return ctx.out.printJson(body.data);
      ctx.out.write(`Joined ${org.name} (${org.slug}) as ${role}.`);
      if (newKey?.key) {
        // Your key belongs to another organization, so the server minted one for this one: shown this once.
        notice(`A new key "${newKey.name}" (${newKey.id}) for ${org.slug}. This is the only time it is shown; store it now:`);
        ctx.out.write(String(newKey.key));
        notice(`tip: keep it in a profile: funcspec config profile create ${org.slug} --api-key KEY`);
      }
    });
}

/** The token of an invitation link (`…/invitations/accept?token=…`), or the argument itself when it is no link. */
export function invitationToken(linkOrToken: string): string {
  const text = linkOrToken.trim();
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) return text;
  return new URL(text).searchParams.get('token') ?? text;
}
