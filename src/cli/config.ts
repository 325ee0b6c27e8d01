import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { CliError, EXIT, UsageError } from './errors.js';

/**
 * The CLI's config file (CONTRACT §7): `$XDG_CONFIG_HOME/funcspec/config.toml`, else
 * `~/.config/funcspec/config.toml`; top-level settings, `active_profile`, and `[profiles.NAME]` tables
 * with the same settings. Written atomically (temp file + rename), mode 0600, in a 0700 directory.
 */

export const DEFAULT_BASE_URL = 'http://localhost:8080';
export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

interface KeySpec {
  description: string;
  /** Returns a problem with the value, or undefined when it is fine. */
  check(value: string): string | undefined;
  secret?: boolean;
}

/** Settings a user may set, at the top level and in every profile. */
export const SETTINGS: Record<string, KeySpec> = {
  api_key: { description: 'API key sent as X-Api-Key', secret: true, check: (v) => (v.trim() === '' ? 'must not be empty' : undefined) },
  base_url: { description: `server URL (default ${DEFAULT_BASE_URL})`, check: checkBaseUrl },
  default_format: {
    description: 'output when --format is not given: table or json',
    check: (v) => (FORMATS.includes(v as Format) ? undefined : 'must be table or json'),
  },
  default_project: {
    description: 'project (id or slug) used when --project is not given',
    check: (v) => (v.trim() === '' || v.length > 100 ? 'must be 1 to 100 characters' : undefined),
  },
};
export type SettingName = keyof typeof SETTINGS;

/** Written by `auth login` next to a key it minted, so that `auth logout` knows to revoke it. */
export const MANAGED_KEYS = ['login_key_id'] as const;

/** Every key `config set|get` accepts; `active_profile` lives at the top level only. */
export const VALID_KEYS = [...Object.keys(SETTINGS), 'active_profile'];

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkProfileName(name: string): void {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid profile name: use letters, digits, "-" and "_" (at most 64, starting with a letter or digit).`);
  }
}

function checkBaseUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL such as https://funcspec.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

export function checkSetting(key: string, value: string): void {
  const spec = SETTINGS[key];
  if (!spec) throw unknownKey(key);
  const problem = spec.check(value);
  if (problem) throw new UsageError(`${key} ${problem}.`);
}

export function unknownKey(key: string): UsageError {
  return new UsageError(`unknown config key "${key}"; valid keys: ${VALID_KEYS.join(', ')}.`);
}

export type Section = Record<string, string>;

export interface ConfigData {
  top: Section;
  profiles: Record<string, Section>;
}

/** Where the file lives: `$XDG_CONFIG_HOME` when set to an absolute path (XDG spec), else `~/.config`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.config');
  return path.join(base, 'funcspec', 'config.toml');
}

/** The file could not be read or understood: stop before anything could overwrite it. */
export class ConfigFileError extends CliError {
  constructor(file: string, reason: string) {
    super(`cannot use the config file ${file}: ${reason}`, EXIT.OTHER, 'fix the file by hand or move it away; funcspec left it unchanged');
  }
}

const shownWarnings = new Set<string>();

export class ConfigFile {
  private constructor(
    readonly path: string,
    readonly data: ConfigData,
    readonly exists: boolean,
    /** Told the user once on stderr when loading (unknown keys, loose permissions). */
    readonly warnings: string[],
  ) {}

  static load(file = configPath()): ConfigFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return new ConfigFile(file, { top: {}, profiles: {} }, false, []);
      if (code === 'EACCES' || code === 'EPERM') throw new ConfigFileError(file, 'permission denied (it should be readable by you, mode 0600)');
      if (code === 'EISDIR') throw new ConfigFileError(file, 'it is a directory, not a file');
      throw new ConfigFileError(file, `${(error as Error).message}`);
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = parse(text) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof TomlError) {
        const first = error.message.split('\n')[0] ?? 'invalid TOML';
        throw new ConfigFileError(file, `it is not valid TOML (line ${error.line}, column ${error.column}: ${first.replace(/^Invalid TOML document: /, '')})`);
      }
      throw new ConfigFileError(file, `it is not valid TOML (${(error as Error).message})`);
    }
    const warnings: string[] = [];
    const data = readData(file, parsed, warnings);
    try {
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077) warnings.push(`${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`);
    } catch {
      // permission check is advisory
    }
    for (const warning of warnings) {
      if (!shownWarnings.has(warning)) {
        shownWarnings.add(warning);
        process.stderr.write(`warning: ${warning}\n`);
      }
    }
    return new ConfigFile(file, data, true, warnings);
  }

  profileNames(): string[] {
    return Object.keys(this.data.profiles).sort();
  }

  hasProfile(name: string): boolean {
    return Object.hasOwn(this.data.profiles, name);
  }

  /** The section a name refers to: null = the top level. */
  section(profile: string | null): Section {
    if (profile === null) return this.data.top;
    const found = this.data.profiles[profile];
    if (!found) throw new CliError(`no profile named "${profile}" in ${this.path}`, EXIT.NOT_FOUND, profileHint(this));
    return found;
  }

  /** Writes the whole file atomically: a private temp file in the same directory, fsync, rename. */
  save(): void {
    const dir = path.dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const body = stringifyData(this.data);
    const temp = path.join(dir, `.config.toml.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number | null = null;
    try {
      fd = openSync(temp, 'wx', 0o600);
      writeSync(fd, body);
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      chmodSync(temp, 0o600);
      renameSync(temp, this.path);
    } catch (error) {
      if (fd !== null) closeSync(fd);
      rmSync(temp, { force: true });
      throw new CliError(`could not write ${this.path}: ${(error as Error).message}`);
    }
    try {
      const dirFd = openSync(dir, 'r');
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch {
      // directory fsync is best effort (not supported everywhere)
    }
  }
}

const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 15_000;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Read-modify-write under a lock file next to the config, so that two funcspec processes changing
 * settings at once (say, parallel CI jobs sharing a HOME) do not lose each other's change.
 * The file is read fresh inside the lock; if it cannot be read, `mutate` never runs and nothing is written.
 */
export function updateConfig<T>(mutate: (file: ConfigFile) => T, file = configPath()): T {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`could not lock ${file}: ${(error as Error).message}`);
      try {
        // A lock left by a process that died mid-write is taken over once it is clearly stale.
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
      } catch {
        // it went away meanwhile: try again
      }
      if (Date.now() > deadline)
        throw new CliError(`${file} is locked by another funcspec process (${lock}); try again, or remove the lock file if no funcspec is running`);
      pause(20 + Math.floor(Math.random() * 30));
    }
  }
  try {
    const current = ConfigFile.load(file);
    const result = mutate(current);
    current.save();
    return result;
  } finally {
    rmSync(lock, { force: true });
  }
}

export function profileHint(file: ConfigFile): string {
  const names = file.profileNames();
  return names.length ? `profiles: ${names.join(', ')} (funcspec config profile list)` : 'create one with: funcspec config profile create NAME --api-key KEY';
}

function readSection(file: string, where: string, raw: Record<string, unknown>, allowed: string[], warnings: string[]): Section {
  const out: Section = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new ConfigFileError(file, `${where}${key} must be a string`);
    if (!allowed.includes(key)) {
      warnings.push(`${file}: unknown key "${where}${key}" is ignored; valid keys: ${VALID_KEYS.join(', ')}`);
    }
    out[key] = value;
  }
  return out;
}

function readData(file: string, raw: Record<string, unknown>, warnings: string[]): ConfigData {
  const { profiles: rawProfiles, ...rest } = raw;
  const sectionKeys = [...Object.keys(SETTINGS), ...MANAGED_KEYS];
  const top = readSection(file, '', rest, [...sectionKeys, 'active_profile'], warnings);
  const profiles: Record<string, Section> = {};
  if (rawProfiles !== undefined) {
    if (typeof rawProfiles !== 'object' || rawProfiles === null || Array.isArray(rawProfiles) || rawProfiles instanceof Date) {
      throw new ConfigFileError(file, 'profiles must be tables written [profiles.NAME]');
    }
    for (const [name, section] of Object.entries(rawProfiles as Record<string, unknown>)) {
      if (typeof section !== 'object' || section === null || Array.isArray(section) || section instanceof Date) {
        throw new ConfigFileError(file, `profiles.${name} must be a table written [profiles.${name}]`);
      }
      profiles[name] = readSection(file, `profiles.${name}.`, section as Record<string, unknown>, sectionKeys, warnings);
    }
  }
  return { top, profiles };
}

function stringifyData(data: ConfigData): string {
  const header = '# funcspec CLI settings. Edit with `funcspec config set|profile …`; this file is rewritten as a whole.\n';
  const doc: Record<string, unknown> = { ...data.top };
  if (Object.keys(data.profiles).length) doc.profiles = data.profiles;
  return `${header}${stringify(doc)}\n`;
}
