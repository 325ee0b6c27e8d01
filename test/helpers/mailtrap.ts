import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

export type MailKind = 'message' | 'notice';

const kindOf = (mail: ReceivedMail): MailKind => (mail.subject.startsWith('Security notice') ? 'notice' : 'message');

/** A real SMTP server in the test process; the app delivers to it through nodemailer. */
export class MailTrap {
  readonly received: ReceivedMail[] = [];
  private waiters: Array<() => void> = [];
  private server!: SMTPServer;
  port = 0;
  /** Holds each message this long before accepting it (to keep a request in flight). */
  delayMs = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then(async (parsed) => {
            if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
            return parsed;
          })
          .then(
            (parsed) => {
              const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
              this.received.push({ to: to?.value[0]?.address ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '' });
              for (const wake of this.waiters.splice(0)) wake();
              callback();
            },
            (error: Error) => callback(error),
          );
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /**
   * The newest mail to `to` that arrived after `after` such mails. Security notices are a kind of their own
   * (`kind: 'notice'`): they go out in the background after a change, so a test waiting for a link mail
   * must never pick one up by accident.
   */
  async waitFor(to: string, options: { after?: number; timeoutMs?: number; kind?: MailKind } = {}): Promise<ReceivedMail> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const mails = this.to(to, options.kind);
      if (mails.length > (options.after ?? 0)) return mails[mails.length - 1]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no mail to ${to} within the timeout`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The mails to `address` of one kind (by default all but the security notices). */
  to(address: string, kind: MailKind = 'message'): ReceivedMail[] {
    return this.received.filter((mail) => mail.to === address.toLowerCase() && kindOf(mail) === kind);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The 6-digit code in an agent sign-up mail. */
export function codeFrom(mail: ReceivedMail): string {
  const match = /\b(\d{6})\b/.exec(mail.text);
  if (!match) throw new Error(`no code in mail: ${mail.text}`);
  return match[1]!;
}
