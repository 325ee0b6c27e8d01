import type { RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import type { Mail } from '../mail/mailer.js';
import { isoTime } from '../lib/time.js';

/** A key as a mail names it: never the key, only its name, last four characters and where it belongs. */
export interface KeyForMail {
  name: string;
  lastFour: string;
  orgName: string;
  ownerEmail: string | null;
}

function keyLine(key: KeyForMail): string {
  return `- "${key.name}" (ending in ${key.lastFour}) in ${key.orgName}${key.ownerEmail ? `, owned by ${key.ownerEmail}` : ''}`;
}

/** To a key's owner and its organization's admins after a leak report revoked it. It carries nothing the reporter chose. */
export function leakedKeysMail(ctx: AppContext, to: string, keys: KeyForMail[], at: number, origin: RequestOrigin): Mail {
  const one = keys.length === 1;
  return {
    to,
    subject: one ? 'A FuncSpec API key was reported as leaked and is revoked' : `${keys.length} FuncSpec API keys were reported as leaked and are revoked`,
    text:
      `${one ? 'This API key was' : 'These API keys were'} reported as exposed (found in a repository, a log or a paste) and ${one ? 'has' : 'have'} been revoked: ` +
      `${one ? 'it no longer works' : 'they no longer work'}.\n\n${keys.map(keyLine).join('\n')}\n\n` +
      `Reported: ${isoTime(at)}, from ${origin.ip}.\n\n` +
      `What to do: make a new key and put it where the old one was used; then look at the organization's usage and audit log ` +
      `(Organization Settings at ${ctx.config.publicUrl}/) for requests you do not recognise. Where the reporter says the key was found is in the audit log. ` +
      `If it was committed to a repository, \`funcspec scan --git\` lists every place in the history.\n`,
  };
}

function day(ms: number): string {
  return isoTime(ms).slice(0, 10);
}

function switchOff(ctx: AppContext, setting: 'key_expiry_mails' | 'unused_keys_digest', orgName: string): string {
  return `An admin of ${orgName} can turn these mails off in Organization Settings at ${ctx.config.publicUrl}/ (or with PATCH /api/v1/organizations/<org> {"${setting}": false}).`;
}

/** To a key's owner, a week before the key expires. */
export function expiryWarningMail(ctx: AppContext, to: string, key: KeyForMail, expiresAt: number): Mail {
  return {
    to,
    subject: `Your FuncSpec API key "${key.name}" expires on ${day(expiresAt)}`,
    text:
      `Your API key "${key.name}" (ending in ${key.lastFour}) in ${key.orgName} expires at ${isoTime(expiresAt)}; from then on every request with it is refused.\n\n` +
      `If something still uses it, make a new key (Organization Settings → API Keys, or \`funcspec keys create\`) and put it in the old one's place before then. ` +
      `If nothing does, there is nothing to do.\n\n${switchOff(ctx, 'key_expiry_mails', key.orgName)}\n`,
  };
}

/** A key in the unused-keys digest: when it was last used (null: never), and when it was made. */
export interface UnusedKey extends KeyForMail {
  lastUsedAt: number | null;
  createdAt: number;
}

/** To an organization's owners and admins, at most weekly while it has keys nobody used for `unusedDays` days. */
export function unusedKeysDigestMail(ctx: AppContext, to: string, orgName: string, keys: UnusedKey[], total: number, unusedDays: number): Mail {
  const lines = keys.map(
    (key) => `${keyLine(key)}: ${key.lastUsedAt === null ? `never used (made ${day(key.createdAt)})` : `last used ${day(key.lastUsedAt)}`}`,
  );
  if (total > keys.length) lines.push(`- and ${total - keys.length} more (Organization Settings → API Keys lists them all)`);
  return {
    to,
    subject: `${total} FuncSpec API ${total === 1 ? 'key' : 'keys'} in ${orgName} unused for ${unusedDays} days`,
    text:
      `${total === 1 ? 'This API key' : 'These API keys'} of ${orgName} still work${total === 1 ? 's' : ''} but nobody has used ${total === 1 ? 'it' : 'them'} for ${unusedDays} days or more:\n\n` +
      `${lines.join('\n')}\n\nA key nobody uses is a risk without a benefit: revoke the ones that are not needed (Organization Settings → API Keys, or \`funcspec keys revoke ID\`). ` +
      `This digest comes at most once a week while such keys exist.\n\n${switchOff(ctx, 'unused_keys_digest', orgName)}\n`,
  };
}
