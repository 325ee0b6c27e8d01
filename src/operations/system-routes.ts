import { z } from 'zod';
import type { AppContext } from '../context.js';
import { ping } from '../db/index.js';
import { OutboxMailer } from '../mail/mailer.js';
import { EmailSchema } from '../lib/email.js';
import { compileAllowList } from '../lib/allow-list.js';
import { HttpErrors } from '../http/errors.js';
import { problems } from '../http/schemas.js';
import type { Api } from '../http/types.js';

/** Liveness, readiness and (in dev-outbox mode only) the outbox. */
export async function systemRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/healthz', {
    schema: { tags: ['System'], summary: 'The process is serving', response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['System'],
      summary: 'The database (and Redis, when configured) answer',
      response: { 200: z.object({ status: z.literal('ready') }), ...problems(503) },
    },
    handler: async () => {
      const checks: Record<string, string> = {};
      await ping(ctx.db).then(
        () => (checks.database = 'ok'),
        () => (checks.database = 'unavailable'),
      );
      if (ctx.redis) {
        await ctx.redis.ping().then(
          () => (checks.redis = 'ok'),
          () => (checks.redis = 'unavailable'),
        );
      }
      if (Object.values(checks).some((state) => state !== 'ok')) throw HttpErrors.SERVICE_UNAVAILABLE({ checks }, { headers: { 'retry-after': '1' } });
      return { status: 'ready' as const };
    },
  });

  const outbox = ctx.mailer instanceof OutboxMailer && ctx.config.devOutboxHttp ? ctx.mailer : null;
  if (!outbox) return;
  app.get('/dev/outbox', {
    schema: {
      tags: ['System'],
      summary: 'Mails the dev outbox kept (only when SMTP_URL is unset, and only to unproxied clients on this machine)',
      querystring: z.object({ to: EmailSchema.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
      response: {
        200: z.object({
          data: z.array(z.object({ id: z.string(), sent_at: z.string(), to: z.string(), subject: z.string(), text: z.string() })),
        }),
      },
    },
    handler: async (request) => {
      // The outbox holds sign-up codes and reset links: only this machine may read it. To anyone else,
      // and to anything a proxy relayed (a proxy on this host makes every client look local), it does not exist.
      if (!isLocalUnproxied(ctx, request.socket.remoteAddress, request.headers)) {
        throw HttpErrors.NOT_FOUND({}, { message: 'No route for GET /dev/outbox.' });
      }
      return { data: outbox.list(request.query.to, request.query.limit) };
    },
  });
}

const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto', 'via'];

function isLocalUnproxied(ctx: AppContext, peer: string | undefined, headers: Record<string, unknown>): boolean {
  if (!isLoopback(peer)) return false;
  if (PROXY_HEADERS.some((name) => headers[name] !== undefined)) return false;
  const trusted = ctx.config.trustProxy.length > 0 && compileAllowList(JSON.stringify(ctx.config.trustProxy))(peer!);
  return !trusted;
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}
