import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { envelope, problems } from '../http/schemas.js';
import { OrgRoleSchema } from '../access/orgs.js';
import type { Api } from '../http/types.js';

export async function meRoutes(app: Api, _ctx: AppContext): Promise<void> {
  app.get('/me', {
    config: { auth: 'any', scope: 'none' },
    schema: {
      tags: ['Auth'],
      summary: 'Who is calling',
      response: {
        200: envelope(
          z.object({
            user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
            organization: z.object({ id: z.string(), name: z.string(), slug: z.string(), plan: z.string() }).nullable(),
            role: OrgRoleSchema.nullable(),
            auth: z.enum(['api_key', 'session']),
            api_key: z.object({ id: z.string(), name: z.string(), last_four: z.string() }).optional(),
          }),
        ),
        ...problems(401, 429),
      },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const { org, apiKey } = principal;
      return {
        data: {
          user: principal.user,
          organization: org ? { id: org.id, name: org.name, slug: org.slug, plan: org.plan } : null,
          role: principal.role,
          auth: principal.via,
          ...(apiKey ? { api_key: { id: apiKey.id, name: apiKey.name, last_four: apiKey.last_four } } : {}),
        },
      };
    },
  });
}
