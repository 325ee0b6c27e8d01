import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import { newId } from '../lib/random.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export interface OutboxEntry extends Mail {
  id: string;
  sent_at: string;
}

/**
 * Development mailer (no SMTP_URL): every mail goes to the log and to `<dataDir>/outbox/*.json`,
 * which `GET /dev/outbox` lists. Never enable in production: anyone who can reach it reads the codes.
 */
export class OutboxMailer implements Mailer {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly log: FastifyBaseLogger,
  ) {
    this.dir = path.join(dataDir, 'outbox');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  async send(mail: Mail): Promise<void> {
    const sentAt = new Date();
    const entry: OutboxEntry = { id: newId('mail'), sent_at: sentAt.toISOString(), ...mail };
    const file = path.join(this.dir, `${sentAt.getTime()}-${entry.id}.json`);
    writeFileSync(file, JSON.stringify(entry, null, 2), { mode: 0o600 });
    this.log.info({ to: mail.to, subject: mail.subject }, `dev outbox: mail to ${mail.to}\n${mail.text}`);
  }

  /** Newest first; optionally only the mails to one address. */
  list(to?: string, limit = 50): OutboxEntry[] {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .reverse();
    const entries: OutboxEntry[] = [];
    for (const file of files) {
      const entry = JSON.parse(readFileSync(path.join(this.dir, file), 'utf8')) as OutboxEntry;
      if (to && entry.to !== to) continue;
      entries.push(entry);
      if (entries.length >= limit) break;
    }
    return entries;
  }

  close(): void {}
}

/** Real delivery through the SMTP server of SMTP_URL. */
export class SmtpMailer implements Mailer {
  // nodemailer is loaded with the first mail: most processes send few, and it need not sit in every idle one.
  private transport: Promise<Transporter> | null = null;

  constructor(
    private readonly smtpUrl: string,
    private readonly from: string,
  ) {}

  async send(mail: Mail): Promise<void> {
    this.transport ??= import('nodemailer').then((nodemailer) => nodemailer.default.createTransport(this.smtpUrl));
    await (await this.transport).sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }

  close(): void {
    void this.transport?.then(
      (transport) => transport.close(),
      () => {},
    );
  }
}
