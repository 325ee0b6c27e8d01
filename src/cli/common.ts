import { type Command, InvalidArgumentError, Option } from 'commander';
import { FORMATS } from './config.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { ApiClient, seg } from './http.js';
import { clean, Output } from './output.js';
import { resolve, type GlobalFlags, type Resolved } from './settings.js';

/**
 * Notes for people (progress, warnings) go to stderr so stdout stays clean for scripts. They often quote
 * the server (names, URLs, codes), so control characters never reach the terminal raw.
 */
export function notice(line: string): void {
  process.stderr.write(`${clean(line)}\n`);
}

/** The options of every command that talks to the API (on each command, so `--help` lists them). */
export function withGlobalOptions(command: Command): Command {
  return command
    .option('--profile <name>', 'use this profile (default: FUNCSPEC_PROFILE, else active_profile)')
    .option('--api-key <key>', 'API key for this call (prefer FUNCSPEC_API_KEY: flags are visible to other local users)')
    .option('--base-url <url>', 'server URL for this call (default: FUNCSPEC_BASE_URL, else the config file)')
    .addOption(new Option('--format <format>', 'output format (default: default_format, else table)').choices([...FORMATS]));
}

/** A subcommand with the global options. */
export function apiCommand(parent: Command, name: string, description: string): Command {
  return withGlobalOptions(parent.command(name).description(description));
}

export interface Ctx {
  settings: Resolved;
  out: Output;
  /** The API client with the resolved key; fails with exit 3 when there is none. */
  api(): ApiClient;
  /** A client without a key (device flow, sign-in). */
  anonymous(): ApiClient;
}

export function context(command: Command, options: { allowMissingProfile?: boolean } = {}): Ctx {
  const flags = command.opts<GlobalFlags>();
  const settings = resolve(flags, { allowMissingProfile: options.allowMissingProfile });
  const out = new Output(settings.format);
  return {
    settings,
    out,
    api() {
      const key = settings.apiKey;
      if (!key) {
        const where = settings.profile ? `profile ${settings.profile}` : 'the config file';
        throw new CliError(`no API key: none in ${where}, FUNCSPEC_API_KEY or --api-key`, EXIT.AUTH, loginHint(settings));
      }
      return new ApiClient({ baseUrl: settings.baseUrl, apiKey: key.value, notice });
    },
    anonymous() {
      return new ApiClient({ baseUrl: settings.baseUrl, notice });
    },
  };
}

export function loginHint(settings: Resolved): string {
  return `run \`funcspec auth login${settings.profile && settings.profileSource === '--profile flag' ? ` --profile ${settings.profile}` : ''}\``;
}

export interface Me {
  user: { id: string; email: string; name: string | null };
  organization: { id: string; name: string; slug: string; plan: string } | null;
  role: string | null;
  auth: 'api_key' | 'session';
  api_key?: { id: string; name: string; last_four: string };
}

export async function whoAmI(api: ApiClient): Promise<Me> {
  return (await api.get<{ data: Me }>('/me')).data;
}

/** `--org`, else the organization of the key in use. */
export async function orgOf(api: ApiClient, given: string | undefined): Promise<string> {
  if (given) return seg(given);
  const me = await whoAmI(api);
  if (!me.organization) throw new UsageError('this key is not bound to an organization; pass --org ORG');
  return seg(me.organization.id);
}

/** `--project`, else default_project (flag > FUNCSPEC_PROJECT > profile > top level). */
export function projectOf(ctx: Ctx, given: string | undefined): string {
  if (given) return seg(given);
  const fromConfig = ctx.settings.get('default_project');
  if (fromConfig) return seg(fromConfig.value);
  throw new UsageError('which project? pass --project ID_OR_SLUG', 'or set a default: funcspec config set default_project SLUG');
}

export function orgOption(command: Command): Command {
  return command.option('--org <org>', 'organization id or slug (default: the organization of your key)');
}

export function projectOption(command: Command): Command {
  return command.option('--project <project>', 'project id or slug (default: default_project from the config)');
}

/** Commander parser for positive whole numbers. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive whole number.');
  return Number(value);
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number (0 or more).');
  return Number(value);
}

/** Repeated option: `--tag a --tag b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Pagination options shared by list commands. */
export function pageOptions(command: Command): Command {
  return command.option('--page <n>', 'page (from 1)', positiveInt).option('--per <n>', 'results per page (1-100, default 25)', positiveInt);
}

export interface ListBody<T> {
  data: T[];
  meta?: { total?: number; page?: number; per?: number };
}
