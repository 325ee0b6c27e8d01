import { ConfigFile, DEFAULT_BASE_URL, FORMATS, profileHint, SETTINGS, type Format } from './config.js';
import { CliError, EXIT, UsageError } from './errors.js';

/** The options every command that talks to the API accepts. */
export interface GlobalFlags {
  profile?: string;
  apiKey?: string;
  baseUrl?: string;
  format?: string;
}

export interface Setting {
  value: string;
  /** Where it came from, for `config list` and `auth status`: a flag, a variable, a profile, the top level or the default. */
  source: string;
}

/** Environment variables, in the precedence order of §7 (flag > variable > active profile > top level). */
export const ENV_FOR: Record<string, string> = {
  api_key: 'FUNCSPEC_API_KEY',
  base_url: 'FUNCSPEC_BASE_URL',
  default_format: 'FUNCSPEC_FORMAT',
  default_project: 'FUNCSPEC_PROJECT',
};

const FLAG_FOR: Record<string, keyof GlobalFlags> = { api_key: 'apiKey', base_url: 'baseUrl', default_format: 'format' };
const FLAG_NAME: Record<string, string> = { api_key: '--api-key', base_url: '--base-url', default_format: '--format' };

export interface Resolved {
  file: ConfigFile;
  /** The profile in use, or null for the top level. */
  profile: string | null;
  profileSource: string | null;
  get(key: string): Setting | null;
  apiKey: Setting | null;
  baseUrl: string;
  format: Format;
}

/** Which profile is in use: --profile, else FUNCSPEC_PROFILE, else active_profile, else none (the top level). */
export function chooseProfile(file: ConfigFile, flags: GlobalFlags, env: NodeJS.ProcessEnv): { name: string | null; source: string | null } {
  if (flags.profile !== undefined) return { name: flags.profile, source: '--profile flag' };
  if (env.FUNCSPEC_PROFILE) return { name: env.FUNCSPEC_PROFILE, source: 'FUNCSPEC_PROFILE' };
  const active = file.data.top.active_profile;
  if (active) return { name: active, source: 'active_profile' };
  return { name: null, source: null };
}

export function resolve(flags: GlobalFlags, options: { env?: NodeJS.ProcessEnv; file?: ConfigFile; allowMissingProfile?: boolean } = {}): Resolved {
  const env = options.env ?? process.env;
  const file = options.file ?? ConfigFile.load();
  const chosen = chooseProfile(file, flags, env);
  if (chosen.name !== null && !file.hasProfile(chosen.name) && !options.allowMissingProfile) {
    throw new CliError(`no profile named "${chosen.name}" (chosen by ${chosen.source}) in ${file.path}`, EXIT.NOT_FOUND, profileHint(file));
  }
  const profileSection = chosen.name !== null ? file.data.profiles[chosen.name] : undefined;

  const get = (key: string): Setting | null => {
    const flag = FLAG_FOR[key];
    const flagValue = flag ? flags[flag] : undefined;
    if (flagValue !== undefined) return checked(key, { value: flagValue, source: `${FLAG_NAME[key]} flag` });
    const envName = ENV_FOR[key];
    const envValue = envName ? env[envName] : undefined;
    if (envName && envValue) return checked(key, { value: envValue, source: envName });
    const fromProfile = profileSection?.[key];
    if (fromProfile !== undefined && fromProfile !== '') return checked(key, { value: fromProfile, source: `profile ${chosen.name}` });
    const fromTop = file.data.top[key];
    if (fromTop !== undefined && fromTop !== '') return checked(key, { value: fromTop, source: 'top level' });
    if (key === 'base_url') return { value: DEFAULT_BASE_URL, source: 'default' };
    if (key === 'default_format') return { value: 'table', source: 'default' };
    return null;
  };

  return {
    file,
    profile: chosen.name,
    profileSource: chosen.source,
    get,
    get apiKey() {
      return get('api_key');
    },
    get baseUrl() {
      return get('base_url')!.value.replace(/\/+$/, '');
    },
    get format() {
      return get('default_format')!.value as Format;
    },
  };
}

function checked(key: string, setting: Setting): Setting {
  const problem = SETTINGS[key]?.check(setting.value);
  if (problem) {
    if (key === 'default_format') throw new UsageError(`format (from ${setting.source}) ${problem}; use ${FORMATS.join(' or ')}.`);
    throw new UsageError(`${key} (from ${setting.source}) ${problem}.`);
  }
  return setting;
}
