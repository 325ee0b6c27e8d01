import type { Command } from 'commander';
import { apiCommand, collect, context, nonNegativeInt, notice, orgOf, orgOption, pageOptions, whoAmI, type Ctx, type ListBody } from '../common.js';
import { updateConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { seg } from '../http.js';
import { ALL_SCOPES, SCOPES } from '../../keys/scopes.js';
import type { Column } from '../output.js';
import { confirmOrAbort } from '../prompts.js';

type Row = Record<string, any>;

const keyColumns: Column<Row>[] = [
  { header: 'ID', value: (k) => k.id },
  { header: 'NAME', value: (k) => k.name },
  { header: 'KIND', value: (k) => k.kind },
  { header: 'KEY', value: (k) => (k.last_four ? `…${k.last_four}` : null) },
  { header: 'OWNER', value: (k) => k.created_by?.email },
  { header: 'CREATED', value: (k) => k.created_at },
  { header: 'LAST_USED', value: (k) => k.last_used_at },
  { header: 'EXPIRES', value: (k) => k.expires_at },
  { header: 'ALLOWED_IPS', value: (k) => k.allowed_ips },
  { header: 'SCOPES', value: (k) => k.scopes },
  { header: 'PROJECTS', value: (k) => k.project_ids ?? 'all' },
  { header: 'REVOKED', value: (k) => k.revoked_at },
];

/** A `--scope` value, checked here so a typo is a usage error that lists the scopes. */
function scope(value: string, previous: string[] = []): string[] {
  if (value !== ALL_SCOPES && !(SCOPES as readonly string[]).includes(value)) {
    throw new UsageError(`"${value}" is not a scope; use one of ${[ALL_SCOPES, ...SCOPES].join(', ')}`);
  }
  return collect(value, previous);
}

/** The one place a full key reaches the terminal: on stdout alone (so `$(funcspec keys create …)` works), notes on stderr. */
function showNewKey(ctx: Ctx, data: Row, verb: string): void {
  if (ctx.out.json) return ctx.out.printJson(data);
  notice(`${verb} key "${data.name}" (${data.id}). This is the only time it is shown; store it now:`);
  ctx.out.write(String(data.key));
}

function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`"${value}" is not a date; use ISO 8601, e.g. 2026-12-31 or 2026-12-31T23:59:59Z`);
  return new Date(ms).toISOString();
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys of an organization (admins see all, members their own)');

  pageOptions(orgOption(apiCommand(keys, 'list', 'Keys, never their secret part')))
    .option('--include-revoked', 'list revoked keys too')
    .action(async (options: { org?: string; page?: number; per?: number; includeRevoked?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<ListBody<Row>>(`/organizations/${await orgOf(api, options.org)}/api-keys`, {
        page: options.page,
        per: options.per,
        include_revoked: options.includeRevoked ? 'true' : undefined,
      });
      const columns = options.includeRevoked ? keyColumns : keyColumns.filter((c) => c.header !== 'REVOKED');
      ctx.out.list(body.data, columns, body.meta, 'No keys.');
    });

  orgOption(apiCommand(keys, 'get', 'One key, with its requests of the last 24 hours'))
    .argument('<id>', 'key id (see `keys list`)')
    .action(async (id: string, options: { org?: string }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<{ data: Row }>(`/organizations/${await orgOf(api, options.org)}/api-keys/${seg(id)}`);
      const key = body.data;
      if (ctx.out.json) return ctx.out.printJson(key);
      ctx.out.record({
        id: key.id,
        name: key.name,
        kind: key.kind,
        key: key.last_four ? `…${key.last_four}` : null,
        owner: key.created_by?.email,
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        last_used_ip: key.last_used_ip,
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
        allowed_ips: key.allowed_ips,
        scopes: key.scopes,
        projects: key.project_ids ?? 'all',
        requests_24h: key.usage_24h
          ? `${key.usage_24h.requests} (${Object.entries(key.usage_24h.by_status ?? {})
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')})`
          : null,
      });
    });

  orgOption(apiCommand(keys, 'create', 'Create a key; it is shown once'))
    .argument('<name>', 'what it is for, e.g. "CI deploy"')
    .option('--expires-at <date>', 'when it stops working (ISO 8601)')
    .option('--allowed-ip <ip-or-cidr>', 'only accept requests from here (repeat for several)', collect)
    .option('--scope <scope>', `only allow this kind of operation (repeat for several; default everything): ${SCOPES.join(', ')}`, scope)
    .option('--project <id-or-slug>', 'only reach this project (repeat for several; default every project)', collect)
    .action(
      async (name: string, options: { org?: string; expiresAt?: string; allowedIp?: string[]; scope?: string[]; project?: string[] }, command: Command) => {
        const body: Row = { name };
        if (options.expiresAt) body.expires_at = isoTime(options.expiresAt);
        if (options.allowedIp) body.allowed_ips = options.allowedIp;
        if (options.scope) body.scopes = options.scope;
        if (options.project) body.project_ids = options.project;
        const ctx = context(command);
        const api = ctx.api();
        const created = await api.post<{ data: Row }>(`/organizations/${await orgOf(api, options.org)}/api-keys`, body);
        showNewKey(ctx, created.data, 'Created');
      },
    );

  orgOption(apiCommand(keys, 'revoke', 'Revoke a key: it stops working with the next request'))
    .argument('<id>', 'key id (see `keys list`)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, options: { org?: string; yes?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const me = await whoAmI(api);
      const org = options.org ? seg(options.org) : me.organization ? seg(me.organization.id) : await orgOf(api, undefined);
      const own = me.api_key?.id === id;
      await confirmOrAbort(own ? `Revoke ${id}, the key this CLI is using right now?` : `Revoke key ${id}?`, options.yes);
      await api.delete(`/organizations/${org}/api-keys/${seg(id)}`);
      ctx.out.done(`Revoked key ${id}.`);
      if (own) notice('note: that was the key in use; log in again with `funcspec auth login`');
    });

  orgOption(apiCommand(keys, 'rotate', 'Replace a key by a new one (shown once); the old one dies now or after a grace period'))
    .argument('<id>', 'key id (see `keys list`)')
    .option('--previous-expires-in <seconds>', 'keep the old key working this many seconds (default 0)', nonNegativeInt)
    .action(async (id: string, options: { org?: string; previousExpiresIn?: number }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const me = await whoAmI(api);
      const org = options.org ? seg(options.org) : me.organization ? seg(me.organization.id) : await orgOf(api, undefined);
      const body = options.previousExpiresIn !== undefined ? { previous_expires_in_seconds: options.previousExpiresIn } : {};
      const rotated = await api.post<{ data: Row }>(`/organizations/${org}/api-keys/${seg(id)}/rotate`, body);
      showNewKey(ctx, rotated.data, 'Rotated; the new');
      // Rotating the key this CLI uses from its config file would lock it out: keep the config working.
      const inUse = ctx.settings.apiKey;
      if (me.api_key?.id === id && inUse && (inUse.source.startsWith('profile ') || inUse.source === 'top level') && typeof rotated.data.key === 'string') {
        const profile = inUse.source === 'top level' ? null : ctx.settings.profile;
        updateConfig((file) => {
          const section = profile === null ? file.data.top : file.data.profiles[profile];
          if (!section || section.api_key !== inUse.value) return;
          section.api_key = rotated.data.key as string;
          if (section.login_key_id) section.login_key_id = String(rotated.data.id);
        }, ctx.settings.file.path);
        notice(
          `note: that was the key in use; the new one is saved to ${inUse.source === 'top level' ? 'the top level' : inUse.source} of ${ctx.settings.file.path}`,
        );
      }
    });

  // ------------------------------------------------------------------ usage
  orgOption(apiCommand(program, 'usage', 'Requests per key per hour'))
    .option('--from <date>', 'start (ISO 8601)')
    .option('--to <date>', 'end (ISO 8601)')
    .option('--key <id>', 'only this key id')
    .action(async (options: { org?: string; from?: string; to?: string; key?: string }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const body = await api.get<{ data: Row[]; meta?: { from?: string; to?: string; total_requests?: number } }>(
        `/organizations/${await orgOf(api, options.org)}/usage`,
        {
          from: options.from ? isoTime(options.from) : undefined,
          to: options.to ? isoTime(options.to) : undefined,
          key_id: options.key,
        },
      );
      const status = (u: Row, bucket: string) => u.by_status?.[bucket];
      ctx.out.list(
        body.data,
        [
          { header: 'HOUR', value: (u) => u.hour },
          { header: 'KEY_ID', value: (u) => u.key_id },
          { header: 'KEY', value: (u) => u.key_name },
          { header: 'REQUESTS', value: (u) => u.requests },
          { header: '2XX', value: (u) => status(u, '2xx') },
          { header: '4XX', value: (u) => status(u, '4xx') },
          { header: '5XX', value: (u) => status(u, '5xx') },
        ],
        undefined,
        'No requests in this period.',
      );
      if (!ctx.out.json && body.meta?.total_requests !== undefined) {
        ctx.out.write(`${body.meta.total_requests} requests from ${body.meta.from ?? '?'} to ${body.meta.to ?? '?'}`);
      }
    });
}
