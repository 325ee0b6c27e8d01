import { z } from 'zod';

/**
 * A failure the API reports to its caller: the §2 problem envelope, plus optional response headers.
 * These are answers, not bugs: no stack trace is captured (it is never shown, and costs more than the
 * rest of a refused request).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export interface ErrorDefinition {
  status: number;
  message: string;
}

export type ErrorFactory = ((details?: Record<string, unknown>, options?: { message?: string; headers?: Record<string, string> }) => ApiError) & {
  readonly code: string;
  readonly status: number;
  readonly message: string;
};

/** Every error code any feature defined: the docs and the OpenAPI document are built from it. */
export const errorRegistry = new Map<string, ErrorDefinition>();

/**
 * One table of errors per feature. `Errors.OTP_INVALID({ remaining_attempts: 3 })` builds the ApiError
 * to throw. A code has one definition: a feature that answers another's code imports its table, and a
 * second definition stops the server at start-up (two messages for one code would be two answers).
 */
export function defineErrors<T extends Record<string, ErrorDefinition>>(table: T): { [K in keyof T]: ErrorFactory } {
  const factories = {} as Record<string, ErrorFactory>;
  for (const [code, definition] of Object.entries(table)) {
    if (errorRegistry.has(code)) throw new Error(`error ${code} is defined twice: define it once and import that table`);
    errorRegistry.set(code, definition);
    const factory = (details: Record<string, unknown> = {}, options: { message?: string; headers?: Record<string, string> } = {}) =>
      new ApiError(definition.status, code, options.message ?? definition.message, details, options.headers);
    factories[code] = Object.assign(factory, { code, status: definition.status, message: definition.message });
  }
  return factories as { [K in keyof T]: ErrorFactory };
}

/** Errors of the HTTP layer itself and of the auth gate, shared by every feature. */
export const HttpErrors = defineErrors({
  BAD_REQUEST: { status: 400, message: 'The request body is not valid JSON.' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required: pass your API key in the X-Api-Key header, or sign in.' },
  INVALID_API_KEY: { status: 401, message: 'The API key is invalid, expired or revoked.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  IP_NOT_ALLOWED: { status: 403, message: 'Requests with this API key are not allowed from your IP address.' },
  INSUFFICIENT_SCOPE: { status: 403, message: "This API key's scopes or projects do not cover this request; see details.required_scope." },
  NOT_FOUND: { status: 404, message: 'No such resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than 1 MiB.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send request bodies as JSON with Content-Type: application/json.' },
  VALIDATION_FAILED: { status: 422, message: 'The request does not match the schema; see details.fields.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry after the number of seconds in Retry-After.' },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side; retry the request.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The server is shutting down or a dependency is unavailable; retry shortly.' },
});

/** Codes more than one feature answers, defined once. */
export const SharedErrors = defineErrors({
  SLUG_TAKEN: { status: 409, message: 'This slug is already in use; choose another.' },
  MEMBER_NOT_FOUND: { status: 404, message: 'No member of this organization has that user id or e-mail.' },
});

/** The body of every error response (content type application/problem+json). */
export const ProblemSchema = z
  .object({
    status: z.number().int(),
    error_code: z.string().meta({ example: 'VALIDATION_FAILED' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    request_id: z.string(),
  })
  .meta({ id: 'Problem' });

/** A dependency (Redis) did not answer: fail closed, and tell the client to retry shortly. */
export function dependencyUnavailable(dependency: string): ApiError {
  return HttpErrors.SERVICE_UNAVAILABLE({ dependency }, { headers: { 'retry-after': '1' } });
}

/** The 429 answer, with the Retry-After header and the matching details field. */
export function rateLimited(retryAfterSeconds: number, extraHeaders: Record<string, string> = {}): ApiError {
  return HttpErrors.RATE_LIMITED({ retry_after_seconds: retryAfterSeconds }, { headers: { 'retry-after': String(retryAfterSeconds), ...extraHeaders } });
}
