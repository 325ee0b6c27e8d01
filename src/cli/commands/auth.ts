import type { Command } from 'commander';
import { apiCommand, context, loginHint, notice, whoAmI } from '../common.js';
import { updateConfig } from '../config.js';
import { ApiCallError, CliError, EXIT, UsageError } from '../errors.js';
import { seg } from '../http.js';
import { login } from '../login.js';
import { maskKey } from '../output.js';

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description('Log in, see who you are, log out');

  apiCommand(auth, 'login', 'Log in: browser (device flow), e-mail + password (+ 2FA), or paste a key; the key is checked, then saved')
    .option('--web', 'go straight to the browser (device) flow; prints the URL and the code')
    .option('--with-key', 'read an API key from stdin (for scripts)')
    .option('--no-browser', 'with the browser flow, do not try to open a browser')
    .addHelpText(
      'after',
      `
The key is saved in the profile in use (--profile, FUNCSPEC_PROFILE or active_profile; created if new),
else at the top level of the config file. A passkey signs in only in a web browser: if your account uses
one (to sign in, or as its second factor), log in with --web and sign in with the passkey on the page
it opens (e-mail + password then continues there by itself). Examples:
  funcspec auth login
  funcspec auth login --web --profile staging --base-url https://staging.funcspec.example.com
  funcspec auth login --with-key < key.txt`,
    )
    .action(async (options: { web?: boolean; withKey?: boolean; browser?: boolean }, command: Command) => {
      const ctx = context(command, { allowMissingProfile: true });
      await login(ctx, options);
    });

  apiCommand(auth, 'status', 'Show the profile, server, organization, user and (masked) key in use').action(async (_options: unknown, command: Command) => {
    const ctx = context(command);
    const { settings, out } = ctx;
    const key = settings.apiKey;
    if (!key) {
      throw new CliError(`not logged in (profile ${settings.profile ?? '(none: top level)'}, server ${settings.baseUrl})`, EXIT.AUTH, loginHint(settings));
    }
    const me = await whoAmI(ctx.api());
    const shown = {
      profile: settings.profile,
      base_url: settings.baseUrl,
      organization: me.organization,
      user: me.user,
      role: me.role,
      api_key: { masked: maskKey(key.value), source: key.source, id: me.api_key?.id ?? null, name: me.api_key?.name ?? null },
    };
    if (out.json) return out.printJson(shown);
    out.record({
      profile: settings.profile ? `${settings.profile} (${settings.profileSource})` : '(none: top level)',
      server: settings.baseUrl,
      organization: me.organization ? `${me.organization.name} (${me.organization.slug}, ${me.organization.plan})` : null,
      user: me.user.name ? `${me.user.email} (${me.user.name})` : me.user.email,
      role: me.role,
      key: `${maskKey(key.value)}${me.api_key ? ` "${me.api_key.name}" ${me.api_key.id}` : ''} from ${key.source}`,
    });
  });

  apiCommand(auth, 'logout', 'Forget the saved key; a key that `auth login` created is revoked on the server first').action(
    async (_options: unknown, command: Command) => {
      const ctx = context(command);
      const { settings } = ctx;
      const key = settings.apiKey;
      if (!key) {
        console.log('Not logged in; nothing to do.');
        return;
      }
      let profile: string | null;
      if (key.source.startsWith('profile ')) profile = settings.profile;
      else if (key.source === 'top level') profile = null;
      else
        throw new UsageError(
          `the key in use comes from ${key.source}, not the config file; logout only forgets saved keys`,
          `unset ${key.source === 'FUNCSPEC_API_KEY' ? 'FUNCSPEC_API_KEY in your shell' : 'the flag'}`,
        );

      const section = settings.file.section(profile);
      let revoked = false;
      if (section.login_key_id) {
        const api = ctx.api();
        try {
          const me = await whoAmI(api);
          if (me.api_key?.id === section.login_key_id && me.organization) {
            await api.delete(`/organizations/${seg(me.organization.id)}/api-keys/${seg(me.api_key.id)}`);
            revoked = true;
          }
        } catch (error) {
          if (!(error instanceof ApiCallError && error.status === 401)) {
            if (error instanceof CliError) {
              const why = error instanceof ApiCallError ? `${error.code}: ${error.message}` : error.message;
              throw new CliError(
                `could not revoke the key (${why}); it is still saved`,
                error.exitCode,
                'retry, or only forget it: funcspec config unset api_key',
              );
            }
            throw error;
          }
          // 401: the key is already dead (revoked or expired); forgetting it is all that is left.
        }
      }
      const masked = maskKey(key.value);
      const hadLoginKey = Boolean(section.login_key_id);
      updateConfig((file) => {
        const fresh = profile === null ? file.data.top : file.data.profiles[profile];
        // Forget the key only if it is still the one we revoked or meant to forget.
        if (fresh && fresh.api_key === key.value) {
          delete fresh.api_key;
          delete fresh.login_key_id;
        }
      }, settings.file.path);
      const where = key.source === 'top level' ? 'the top level' : key.source;
      if (revoked) console.log(`Revoked key ${masked} and removed it from ${where}.`);
      else {
        console.log(`Removed key ${masked} from ${where}.`);
        if (!hadLoginKey)
          notice('note: `auth login` did not create this key, so it was only forgotten here and stays valid; `funcspec keys revoke ID` ends it');
      }
    },
  );
}
