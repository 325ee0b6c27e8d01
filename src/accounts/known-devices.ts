import type { AppContext } from '../context.js';
import { randomToken } from '../lib/random.js';
import { sameDigest } from '../lib/secrets.js';

/*
 * Known devices. Failed logins are throttled per account, which lets anyone who knows an address lock
 * its owner out by failing on purpose. A browser that once signed in to the account keeps a cookie
 * `<id>.<mac>` (the mac binds the id to the user under the server secret, so nobody can make one for an
 * account they never signed in to), and its guesses are counted on an allowance of its own: the owner's
 * browser still gets in while strangers exhaust the shared one.
 */

const PURPOSE = 'known-device';

/** A fresh cookie value for a browser that just signed in as `userId`. */
export function knownDeviceValue(ctx: AppContext, userId: string): string {
  const id = randomToken(16);
  return `${id}.${ctx.secrets.hmac(PURPOSE, `${userId}.${id}`)}`;
}

/** The device id in `value` when it is a known device of `userId`, else null. */
export function knownDeviceOf(ctx: AppContext, userId: string | undefined, value: string | undefined): string | null {
  if (!userId || !value || value.length > 200) return null;
  const [id, mac, ...rest] = value.split('.');
  if (!id || !mac || rest.length > 0) return null;
  return sameDigest(mac, ctx.secrets.hmac(PURPOSE, `${userId}.${id}`)) ? id : null;
}
