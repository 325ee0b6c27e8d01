import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { envelope, problems, Timestamp } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { isoTime } from '../lib/time.js';
import { approveDevice, denyDevice, inspectDevice, pollDeviceToken, startDeviceAuthorization } from './device.js';
import { Token, Name } from './schemas.js';

/** Device authorization (RFC 8628): the CLI asks, the signed-in person approves or denies. */
export async function deviceRoutes(app: Api, ctx: AppContext): Promise<void> {
  const tags = ['Accounts'];

  app.post('/auth/device/code', {
    schema: {
      tags,
      summary: 'CLI login through the browser: get a device code and a user code',
      body: z.object({ client_name: Name }),
      response: {
        200: envelope(
          z.object({
            device_code: z.string(),
            user_code: z.string().meta({ example: 'BCDF-GHJK' }),
            verification_uri: z.string(),
            verification_uri_complete: z.string(),
            expires_in: z.number().int(),
            interval: z.number().int(),
          }),
        ),
        ...problems(422, 429),
      },
    },
    handler: async (request) => ({ data: await startDeviceAuthorization(ctx, request.body.client_name, originOf(request)) }),
  });

  app.post('/auth/device/token', {
    schema: {
      tags,
      summary: 'Poll for the key (AUTHORIZATION_PENDING, SLOW_DOWN, ACCESS_DENIED, EXPIRED_TOKEN until approved)',
      body: z.object({ device_code: Token }),
      response: {
        200: envelope(z.object({ api_key: z.string(), organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }) })),
        ...problems(400, 422),
      },
    },
    handler: async (request) => ({ data: await pollDeviceToken(ctx, request.body.device_code, originOf(request)) }),
  });

  app.post('/auth/device/inspect', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'What a pending device login is (client name, address, time), shown before approving; counts as a code guess',
      body: z.object({ user_code: z.string().min(1).max(32) }),
      response: {
        200: envelope(z.object({ client_name: z.string(), requested_ip: z.string().nullable(), requested_at: Timestamp, expires_at: Timestamp })),
        ...problems(400, 401, 403, 422, 429),
      },
    },
    handler: async (request) => {
      const pending = await inspectDevice(ctx, principalOf(request), request.body.user_code, originOf(request));
      return { data: { ...pending, requested_at: isoTime(pending.requested_at), expires_at: isoTime(pending.expires_at) } };
    },
  });

  const Decided = z.object({ client_name: z.string() });
  app.post('/auth/device/approve', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Approve a device login for one of my organizations (signed-in user only)',
      body: z.object({ user_code: z.string().min(1).max(32), organization_id: z.string().min(1).max(64) }),
      response: {
        200: envelope(Decided.extend({ organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }) })),
        ...problems(400, 401, 403, 404, 422, 429),
      },
    },
    handler: async (request) => ({
      data: await approveDevice(ctx, principalOf(request), { userCode: request.body.user_code, organization: request.body.organization_id }, originOf(request)),
    }),
  });

  app.post('/auth/device/deny', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Refuse a device login (signed-in user only)',
      body: z.object({ user_code: z.string().min(1).max(32) }),
      response: { 200: envelope(Decided), ...problems(400, 401, 403, 422, 429) },
    },
    handler: async (request) => ({ data: await denyDevice(ctx, principalOf(request), request.body.user_code, originOf(request)) }),
  });
}
