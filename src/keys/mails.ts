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
