import type { Logger } from 'pino';
import type { Mail, Mailer } from './mailer.js';

/**
 * Mails nobody waits for (account mails, key notices) go out in the background: the answer to sign-up,
 * resend and forgot-password never waits on SMTP, so its timing does not tell whether a mail was sent
 * (or to whom). A failure is logged; the user can ask again.
 */
export function deliver(ctx: { mailer: Mailer; log: Logger }, mail: Mail): void {
  ctx.mailer.send(mail).catch((error: unknown) => ctx.log.error({ err: error, subject: mail.subject }, 'mail failed'));
}
