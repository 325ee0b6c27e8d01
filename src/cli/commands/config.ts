import { type Command, Option } from 'commander';
import { notice } from '../common.js';
import {
  checkProfileName,
  checkSetting,
  ConfigFile,
  FORMATS,
  profileHint,
  SETTINGS,
  unknownKey,
  updateConfig,
  VALID_KEYS,
  type Format,
  type Section,
} from '../config.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { maskKey, Output } from '../output.js';
import { chooseProfile, resolve } from '../settings.js';

function shown(key: string, value: string): string {
  return SETTINGS[key]?.secret ? maskKey(value) : value;
}

function formatOption(command: Command): Command {
  return command.addOption(new Option('--format <format>', 'output format').choices([...FORMATS]));
}

function output(file: ConfigFile, flags: { format?: string; profile?: string }): Output {
  const format = (flags.format ?? resolve({ profile: flags.profile }, { file, allowMissingProfile: true }).format) as Format;
  return new Output(format);
}

function where(profile: string | null): string {
  return profile === null ? 'the top level' : `profile ${profile}`;
}

/** The section `config set|unset` changes: --top-level, else the profile in use, else the top level. */
function targetOf(file: ConfigFile, options: { profile?: string; topLevel?: boolean }): string | null {
  if (options.topLevel) {
    if (options.profile) throw new UsageError('use either --profile or --top-level, not both');
    return null;
  }
  const chosen = chooseProfile(file, { profile: options.profile }, process.env);
  if (chosen.name !== null && !file.hasProfile(chosen.name)) {
    throw new CliError(`no profile named "${chosen.name}" (chosen by ${chosen.source}) in ${file.path}`, EXIT.NOT_FOUND, profileHint(file));
  }
  return chosen.name;
}

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('Settings in the config file: keys, server URL, output format, profiles')
    .addHelpText(
      'after',
      `
Keys: ${VALID_KEYS.join(', ')}.
The file is $XDG_CONFIG_HOME/funcspec/config.toml (else ~/.config/funcspec/config.toml), mode 0600.
Precedence: flag > FUNCSPEC_API_KEY / FUNCSPEC_BASE_URL / FUNCSPEC_PROFILE > active profile > top level.`,
    );

  config
    .command('set')
    .description('Set a key in the profile in use (else at the top level)')
    .argument('<key>', VALID_KEYS.join('|'))
    .argument('<value>')
    .option('--profile <name>', 'set it in this profile')
    .option('--top-level', 'set it at the top level even when a profile is active')
    .action((key: string, value: string, options: { profile?: string; topLevel?: boolean }) => {
      if (key === 'active_profile') {
        if (options.profile) throw new UsageError('active_profile lives at the top level; drop --profile');
        const path = updateConfig((file) => {
          if (!file.hasProfile(value)) throw new CliError(`no profile named "${value}" in ${file.path}`, EXIT.NOT_FOUND, profileHint(file));
          file.data.top.active_profile = value;
          return file.path;
        });
        console.log(`Set active_profile = ${value} (${path})`);
        return;
      }
      checkSetting(key, value);
      const [target, path] = updateConfig((file) => {
        const target = targetOf(file, options);
        const section = file.section(target);
        section[key] = value;
        if (key === 'api_key') delete section.login_key_id; // a key set by hand was not minted by `auth login`
        return [target, file.path] as const;
      });
      console.log(`Set ${key} = ${shown(key, value)} in ${where(target)} (${path})`);
    });

  config
    .command('unset')
    .description('Remove a key from the profile in use (else from the top level)')
    .argument('<key>', VALID_KEYS.join('|'))
    .option('--profile <name>', 'remove it from this profile')
    .option('--top-level', 'remove it from the top level even when a profile is active')
    .action((key: string, options: { profile?: string; topLevel?: boolean }) => {
      if (!VALID_KEYS.includes(key)) throw unknownKey(key);
      const [target, removed, path] = updateConfig((file) => {
        const target = key === 'active_profile' ? null : targetOf(file, options);
        const section = file.section(target);
        const removed = key in section;
        delete section[key];
        if (key === 'api_key') delete section.login_key_id;
        return [target, removed, file.path] as const;
      });
      console.log(removed ? `Removed ${key} from ${where(target)} (${path})` : `${key} is not set in ${where(target)}.`);
    });

  formatOption(
    config
      .command('get')
      .description('Print the value in effect for a key (flags and FUNCSPEC_* variables included); keys are masked')
      .argument('<key>', VALID_KEYS.join('|'))
      .option('--profile <name>', 'as seen with this profile'),
  ).action((key: string, options: { profile?: string; format?: string }) => {
    if (!VALID_KEYS.includes(key)) throw unknownKey(key);
    const file = ConfigFile.load();
    const out = output(file, options);
    const settings = resolve({ profile: options.profile }, { file });
    const value =
      key === 'active_profile' ? (file.data.top.active_profile ? { value: file.data.top.active_profile, source: 'top level' } : null) : settings.get(key);
    if (!value) {
      if (out.json) out.printJson({ key, value: null, source: null });
      else notice(`${key} is not set`);
      process.exitCode = EXIT.OTHER;
      return;
    }
    if (out.json) out.printJson({ key, value: shown(key, value.value), source: value.source });
    else out.write(shown(key, value.value));
  });

  formatOption(
    config
      .command('list')
      .description('Every key with the value in effect and where it comes from; keys are masked')
      .option('--profile <name>', 'as seen with this profile'),
  ).action((options: { profile?: string; format?: string }) => {
    const file = ConfigFile.load();
    const out = output(file, options);
    const settings = resolve({ profile: options.profile }, { file });
    const rows = Object.keys(SETTINGS).map((key) => {
      const setting = settings.get(key);
      return { key, value: setting ? shown(key, setting.value) : null, source: setting?.source ?? null };
    });
    rows.push({ key: 'active_profile', value: file.data.top.active_profile ?? null, source: file.data.top.active_profile ? 'top level' : null });
    if (out.json) {
      out.printJson({ path: file.path, profile: settings.profile, settings: rows });
      return;
    }
    out.list(rows, [
      { header: 'KEY', value: (r) => r.key },
      { header: 'VALUE', value: (r) => r.value },
      { header: 'SOURCE', value: (r) => r.source },
    ]);
    out.write(
      `\nProfile in use: ${settings.profile ?? '(none: top level)'}${settings.profileSource ? ` (${settings.profileSource})` : ''}\nFile: ${file.path}${file.exists ? '' : ' (not created yet)'}`,
    );
  });

  const profile = config.command('profile').description('Named sets of settings, e.g. production and staging');

  profile
    .command('create')
    .description('Create a profile')
    .argument('<name>', 'letters, digits, - and _')
    .option('--api-key <key>', 'its API key')
    .option('--base-url <url>', 'its server URL')
    .addOption(new Option('--default-format <format>', 'its output format').choices([...FORMATS]))
    .option('--default-project <project>', 'its default project')
    .option('--use', 'make it the active profile too')
    .action((name: string, options: { apiKey?: string; baseUrl?: string; defaultFormat?: string; defaultProject?: string; use?: boolean }) => {
      checkProfileName(name);
      const section: Section = {};
      const values: Record<string, string | undefined> = {
        api_key: options.apiKey,
        base_url: options.baseUrl,
        default_format: options.defaultFormat,
        default_project: options.defaultProject,
      };
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) continue;
        checkSetting(key, value);
        section[key] = value;
      }
      const path = updateConfig((file) => {
        if (file.hasProfile(name)) {
          throw new UsageError(`profile "${name}" already exists`, `change it with: funcspec config set --profile ${name} KEY VALUE`);
        }
        file.data.profiles[name] = section;
        if (options.use) file.data.top.active_profile = name;
        return file.path;
      });
      console.log(`Created profile ${name}${options.use ? ' (now active)' : ''} in ${path}`);
    });

  profile
    .command('use')
    .description('Make a profile the active one')
    .argument('<name>')
    .action((name: string) => {
      updateConfig((file) => {
        if (!file.hasProfile(name)) throw new CliError(`no profile named "${name}" in ${file.path}`, EXIT.NOT_FOUND, profileHint(file));
        file.data.top.active_profile = name;
      });
      console.log(`Now using profile ${name}`);
      if (process.env.FUNCSPEC_PROFILE && process.env.FUNCSPEC_PROFILE !== name) {
        notice(`note: FUNCSPEC_PROFILE=${process.env.FUNCSPEC_PROFILE} is set in this shell and takes precedence`);
      }
    });

  formatOption(profile.command('list').description('List profiles')).action((options: { format?: string }) => {
    const file = ConfigFile.load();
    const out = output(file, options);
    const active = file.data.top.active_profile;
    const rows = file.profileNames().map((name) => {
      const section = file.data.profiles[name]!;
      return {
        name,
        active: name === active,
        base_url: section.base_url ?? null,
        api_key: section.api_key ? maskKey(section.api_key) : null,
        default_format: section.default_format ?? null,
        default_project: section.default_project ?? null,
      };
    });
    out.list(
      rows,
      [
        { header: 'NAME', value: (r) => (r.active ? `${r.name} *` : r.name) },
        { header: 'BASE_URL', value: (r) => r.base_url },
        { header: 'API_KEY', value: (r) => r.api_key },
        { header: 'PROJECT', value: (r) => r.default_project },
      ],
      undefined,
      'No profiles yet: funcspec config profile create NAME --api-key KEY',
    );
  });

  profile
    .command('delete')
    .description('Delete a profile (its key stays valid on the server; `auth logout --profile NAME` revokes a key login minted)')
    .argument('<name>')
    .action((name: string) => {
      const { hadMintedKey, wasActive } = updateConfig((file) => {
        if (!file.hasProfile(name)) throw new CliError(`no profile named "${name}" in ${file.path}`, EXIT.NOT_FOUND, profileHint(file));
        const hadMintedKey = Boolean(file.data.profiles[name]!.login_key_id);
        delete file.data.profiles[name];
        const wasActive = file.data.top.active_profile === name;
        if (wasActive) delete file.data.top.active_profile;
        return { hadMintedKey, wasActive };
      });
      console.log(`Deleted profile ${name}${wasActive ? '; no profile is active now (the top level applies)' : ''}`);
      if (hadMintedKey) notice('note: the key `auth login` created for it is still valid; revoke it with `funcspec keys revoke` if it is no longer needed');
    });
}
