import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { createSessionAuthenticator } from './accounts/http.js';
import { deviceRoutes } from './accounts/device-routes.js';
import { accountRoutes } from './accounts/routes.js';
import { securityRoutes } from './accounts/security-routes.js';
import { sessionRoutes } from './accounts/session-routes.js';
import { passkeyRoutes, passkeySignInRoutes } from './passkeys/routes.js';
import fastJson from 'fast-json-stringify';
import { z } from 'zod';
import { agentDocRoutes } from './agent-docs/routes.js';
import { agentRoutes } from './agent/routes.js';
import { meRoutes } from './auth/me-routes.js';
import type { AppContext } from './context.js';
import { auditRoutes } from './audit/routes.js';
import { creditRoutes } from './credits/routes.js';
import { keyLifecycleRoutes, keyRoutes } from './keys/routes.js';
import { mcpRoutes } from './mcp/routes.js';
import { SCOPE_DESCRIPTIONS, SCOPE_INCLUDES, SCOPES, type ScopeNeed } from './keys/scopes.js';
import { registerOrgAccess } from './access/precondition.js';
import { registerProjectAccess } from './projects/precondition.js';
import { registerAuthGate, type AuthMode, type SessionAuthenticator } from './auth/gate.js';
import { isDatabaseUnavailable } from './db/unavailable.js';
import { DependencyUnavailable } from './lib/unavailable.js';
import { version } from './lib/version.js';
import { ApiError, dependencyUnavailable, errorRegistry, HttpErrors } from './http/errors.js';
import { lazyChildLogger, requestIdGenerator } from './http/per-request.js';
import { systemRoutes } from './operations/system-routes.js';
import type { Api } from './http/types.js';
import { httpsOptions, registerOperations } from './operations/index.js';
import { invitationRoutes } from './orgs/invitation-routes.js';
import { memberRoutes, orgRoutes } from './orgs/routes.js';
import { itemTransitionRoutes, specItemRoutes } from './projects/item-routes.js';
import { projectRoutes, teamRoutes } from './projects/routes.js';
import { docsLook, webApp } from './web/serve.js';

export const BODY_LIMIT = 1024 * 1024;

export interface BuildOptions {
  /** Web sessions; by default the cookie sessions of src/accounts (null: API keys only). */
  sessions?: SessionAuthenticator | null;
}

/** The whole HTTP surface over an AppContext. Listening is the caller's business. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<Api> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // Per-request lines only at debug/trace: at info the log stays readable under load.
    logController: new LogController({ disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace' }),
    bodyLimit: BODY_LIMIT,
    // Only the configured proxies' X-Forwarded-For is believed; otherwise request.ip is the socket peer.
    trustProxy: ctx.config.trustProxy.length > 0 ? ctx.config.trustProxy : false,
    genReqId: requestIdGenerator(),
    childLoggerFactory: lazyChildLogger,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true },
    ...httpsOptions(ctx.config),
    // What Fastify refuses before routing (a malformed percent-encoding in the path) gets the envelope too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      sendProblem(
        request,
        reply,
        error.code === 'FST_ERR_BAD_URL' ? HttpErrors.BAD_REQUEST({}, { message: 'The request URL is malformed.' }) : toApiError(error, request),
      );
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(inputValidatorCompiler);
  app.setSerializerCompiler(fastSerializerCompiler);
  acceptOnlyJson(app);
  // (The cheap hooks take a callback rather than being async: no promise and no extra tick per request.)
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // While draining for shutdown, answers close their connection, so keep-alive sockets do not hold the exit.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  registerOperations(app as unknown as FastifyInstance, ctx);
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, toApiError(error as FastifyError, request)));
  const web = await webApp(app, ctx);
  // A browser navigating to any other page gets the web app (its router shows the page or "not found");
  // everything else, /api above all, gets the JSON problem.
  app.setNotFoundHandler((request, reply) =>
    web.wantsPage(request)
      ? web.sendPage(reply)
      : sendProblem(request, reply, HttpErrors.NOT_FOUND({}, { message: `No route for ${request.method} ${request.url.split('?')[0]}.` })),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FuncSpec API',
        version: version(),
        description:
          'Specifications and the access control around them. Authenticate with `X-Api-Key` or the web session cookie. ' +
          'Every error is `application/problem+json` with a stable `error_code` (listed under `x-error-codes`). ' +
          'For agents, in Markdown: [/llms.txt](/llms.txt) (the index), [/auth.md](/auth.md) (getting, using and limiting a key), ' +
          '[/api.md](/api.md) (every operation and error code) and [/mcp.md](/mcp.md) (the MCP server at `POST /mcp`).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: KEY_SCHEME_DESCRIPTION },
          bearer: { type: 'http', scheme: 'bearer', description: 'The same API key, as `Authorization: Bearer <key>`.' },
          session: { type: 'apiKey', in: 'cookie', name: 'funcspec_session', description: 'The web session; not limited by scopes.' },
        },
      },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      const config = (input.route.config ?? {}) as { auth?: AuthMode; scope?: ScopeNeed; allProjects?: boolean };
      const auth = config.auth ?? 'public';
      if (auth === 'public') return out;
      // Each operation names the scope a key needs (x-scope, null: none) in its security requirement too.
      const scopes: string[] = config.scope && config.scope !== 'none' ? [config.scope] : [];
      const keys: Array<Record<string, string[]>> = [{ apiKey: scopes }, { bearer: scopes }];
      const security: Array<Record<string, string[]>> = auth === 'session' ? [{ session: [] }] : auth === 'api_key' ? keys : [...keys, { session: [] }];
      const scoped = auth === 'session' ? {} : { 'x-scope': scopes[0] ?? null, ...(config.allProjects ? { 'x-all-projects': true } : {}) };
      return { ...out, schema: { ...out.schema, security, ...scoped } };
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', ...docsLook });

  // Cookies are parsed only where a session is looked for (accounts/http.ts), not on every request.
  await app.register(cookie, { hook: false });
  const sessions = options.sessions === undefined ? createSessionAuthenticator(ctx) : options.sessions;
  registerAuthGate(app as unknown as FastifyInstance, ctx, () => sessions);
  registerOrgAccess(app as unknown as FastifyInstance, ctx);
  registerProjectAccess(app as unknown as FastifyInstance, ctx);
  await app.register(async (root) => systemRoutes(root as Api, ctx));
  await app.register(async (root) => agentDocRoutes(root as Api, ctx, () => openApiDocument(app), BODY_LIMIT));
  await app.register(async (root) => mcpRoutes(root as Api, ctx, (options) => app.inject(options)));
  await app.register(
    async (api) => {
      const typed = api as Api;
      await agentRoutes(typed, ctx);
      await creditRoutes(typed, ctx);
      await meRoutes(typed, ctx);
      await keyRoutes(typed, ctx);
      await keyLifecycleRoutes(typed, ctx);
      await auditRoutes(typed, ctx);
      await accountRoutes(typed, ctx);
      await sessionRoutes(typed, ctx);
      await securityRoutes(typed, ctx);
      await deviceRoutes(typed, ctx);
      await passkeyRoutes(typed, ctx);
      await passkeySignInRoutes(typed, ctx);
      await orgRoutes(typed, ctx);
      await memberRoutes(typed, ctx);
      await invitationRoutes(typed, ctx);
      await projectRoutes(typed, ctx);
      await teamRoutes(typed, ctx);
      await specItemRoutes(typed, ctx);
      await itemTransitionRoutes(typed, ctx);
    },
    { prefix: '/api/v1' },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => openApiDocument(app));
  await app.ready();
  return app;
}

const HTTP_PART_PREFIX: Record<string, string> = { params: 'params', querystring: 'query', headers: 'headers', body: '' };

/**
 * Request parts are checked by their zod schemas, with two additions:
 * - PostgreSQL cannot store U+0000 in text (the query fails), and no field has a use for it: a string
 *   holding it is refused like any schema violation (422, naming the field) on either database;
 * - a part that carries nothing (no query string, say) gets the schema's answer for nothing, worked
 *   out once per route: most requests to most routes pay no zod at all for it.
 * No body at all reaches the schemas as undefined (Fastify passes null), so optional bodies take their defaults.
 */
function inputValidatorCompiler(route: Parameters<typeof validatorCompiler>[0] & { httpPart?: string }) {
  const validate = validatorCompiler(route);
  const prefix = HTTP_PART_PREFIX[route.httpPart ?? 'body'] ?? '';
  let forEmpty: { value: Record<string, unknown> } | null | undefined;
  return (data: unknown) => {
    if (route.httpPart === 'body' && data === null) data = undefined;
    if (isEmptyObject(data)) {
      if (forEmpty === undefined) forEmpty = primitiveResult(validate({})); // null: nothing to reuse
      if (forEmpty) return { value: { ...forEmpty.value } };
    }
    const field = fieldWithNul(data, prefix);
    if (field !== null) return { error: HttpErrors.VALIDATION_FAILED({ fields: { [field || 'body']: 'must not contain the NUL character (U+0000)' } }) };
    return validate(data);
  };
}

function isEmptyObject(data: unknown): data is Record<string, never> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  for (const _ in data) return false;
  return true;
}

/** A successful result whose value is a flat object of primitives (safe to hand out as a copy), else null. */
function primitiveResult(result: unknown): { value: Record<string, unknown> } | null {
  const value = (result as { value?: unknown }).value;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || (result as { error?: unknown }).error) return null;
  return Object.values(value).every((item) => item === null || typeof item !== 'object') ? { value: value as Record<string, unknown> } : null;
}

/**
 * Responses are written by fast-json-stringify from the JSON Schema of the route's zod response schema:
 * several times faster than validating with zod and then JSON.stringify, and it writes only the declared
 * properties, so nothing undeclared can leak. A schema JSON Schema cannot express keeps the zod serializer.
 */
function fastSerializerCompiler(route: Parameters<typeof serializerCompiler>[0]) {
  // Compiled on the first answer with this status on this route: an idle process holds (and has built)
  // no serializer for routes nobody called.
  let compiled: ((data: unknown) => string) | null = null;
  const compile = () => {
    try {
      const jsonSchema = z.toJSONSchema(route.schema as z.ZodType, { io: 'output', target: 'draft-7', unrepresentable: 'throw' });
      return fastJson(jsonSchema as Parameters<typeof fastJson>[0]) as (data: unknown) => string;
    } catch {
      return serializerCompiler(route) as (data: unknown) => string;
    }
  };
  return (data: unknown) => (compiled ??= compile())(data);
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(app: Api): Record<string, unknown> {
  const errorCodes = [...errorRegistry].map(([code, { status, message }]) => ({ error_code: code, status, message }));
  const scopes = SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope], includes: SCOPE_INCLUDES[scope] ? [SCOPE_INCLUDES[scope]] : [] }));
  return { ...(app.swagger() as unknown as Record<string, unknown>), 'x-error-codes': errorCodes, 'x-scopes': scopes };
}

const KEY_SCHEME_DESCRIPTION =
  'An API key. A key may be limited to some scopes and projects (`scopes`, `project_ids` when it is made): each operation names the ' +
  'scope it needs in `x-scope` (null: any key) and in its security requirement; a write scope includes the read scope of the same ' +
  'things (`x-scopes`). An operation marked `x-all-projects` needs a key that is not limited to some projects. Anything a key does not ' +
  'cover is 403 `INSUFFICIENT_SCOPE` with `details.required_scope`.';

/** The path (`a.b.0`, prefixed with `prefix.`) of a string inside `value` that contains U+0000, or null. */
function fieldWithNul(value: unknown, prefix: string): string | null {
  // Iterative: a 1 MiB body can nest deeper than the call stack.
  const pending: Array<[unknown, string]> = [[value, prefix]];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path.length > 200 ? `${path.slice(0, 200)}…` : path;
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) pending.push([child, path ? `${path}.${key}` : key]);
    }
  }
  return null;
}

/** JSON is the only body type; an empty JSON body means "no body" (some clients send the header anyway). */
function acceptOnlyJson(app: Api): void {
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });
}

function toApiError(error: FastifyError, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DependencyUnavailable) return dependencyUnavailable(error.dependency);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields: Record<string, string> = {};
    for (const issue of error.validation) {
      const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const context = error.validationContext ?? 'body';
      const field = context === 'body' ? path || 'body' : [context, path].filter(Boolean).join('.');
      fields[field] ??= issue.message ?? 'is invalid';
    }
    return HttpErrors.VALIDATION_FAILED({ fields });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return HttpErrors.UNSUPPORTED_MEDIA_TYPE();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return HttpErrors.PAYLOAD_TOO_LARGE({ limit_bytes: BODY_LIMIT });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // A path segment longer than any id, slug or permalink (the router stops at 100 characters).
      return HttpErrors.NOT_FOUND({}, { message: 'No such resource: a path segment is longer than any id.' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return HttpErrors.BAD_REQUEST();
  }
  if (error instanceof SyntaxError || error.statusCode === 400)
    return HttpErrors.BAD_REQUEST({}, { message: error.statusCode === 400 ? error.message : HttpErrors.BAD_REQUEST.message });
  if (error.statusCode === 503) return HttpErrors.SERVICE_UNAVAILABLE({}, { headers: { 'retry-after': '1' } });
  if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: the client retries, the operator sees one warning per refused request.
    request.log.warn({ err: error }, 'database unavailable');
    return dependencyUnavailable('database');
  }
  request.log.error({ err: error }, 'unhandled error');
  return HttpErrors.INTERNAL_ERROR();
}

function sendProblem(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  const body = { status: error.status, error_code: error.code, message: error.message, details: error.details, request_id: request.id };
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send(body);
}
