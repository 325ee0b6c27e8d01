import type { Config } from '../config.js';
import type { ErrorDefinition } from '../http/errors.js';
import { PLANS } from '../orgs/plans.js';
import type { Plan } from '../orgs/tables.js';

/** One operation of the HTTP API, as the OpenAPI document describes it. */
export interface Operation {
  method: string;
  path: string;
  tag: string;
  summary: string;
  /** Which credentials it takes: none, an API key, a web session, or either. */
  auth: 'none' | 'key' | 'session' | 'key or session';
}

/**
 * What the Markdown pages for agents say, taken from where the server itself takes it: the settings
 * in force, the plans, the error registry and the OpenAPI document. Nothing here is written twice.
 */
export interface DocFacts {
  baseUrl: string;
  keyPrefix: string;
  otpTtlMs: number;
  otpMaxAttempts: number;
  signUpsPerEmailPerHour: number;
  signUpsPerIpPerHour: number;
  verifyPerEmailPerDay: number;
  verifyPerIpPerHour: number;
  leakReportsPerIpPerHour: number;
  plans: Record<Plan, { requestsPerHour: number; monthlyCredits: number }>;
  bodyLimitBytes: number;
  errors: ReadonlyMap<string, ErrorDefinition>;
  operations: Operation[];
}

type OpenApiOperation = { tags?: string[]; summary?: string; security?: Array<Record<string, unknown>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function authOf(security: OpenApiOperation['security']): Operation['auth'] {
  const schemes = new Set((security ?? []).flatMap((entry) => Object.keys(entry)));
  if (schemes.has('apiKey') && schemes.has('session')) return 'key or session';
  if (schemes.has('apiKey')) return 'key';
  if (schemes.has('session')) return 'session';
  return 'none';
}

/** The operations of an OpenAPI document, in its path order. */
export function operationsOf(openApi: Record<string, unknown>): Operation[] {
  const paths = (openApi.paths ?? {}) as Record<string, Partial<Record<(typeof METHODS)[number], OpenApiOperation>>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => {
      const operation = item[method]!;
      return { method: method.toUpperCase(), path, tag: operation.tags?.[0] ?? 'Other', summary: operation.summary ?? '', auth: authOf(operation.security) };
    }),
  );
}

export function docFacts(config: Config, openApi: Record<string, unknown>, errors: ReadonlyMap<string, ErrorDefinition>, bodyLimitBytes: number): DocFacts {
  return {
    baseUrl: config.publicUrl,
    keyPrefix: `fs_${config.keyEnv}_`,
    otpTtlMs: config.agentOtpTtlMs,
    otpMaxAttempts: config.agentOtpMaxAttempts,
    signUpsPerEmailPerHour: config.agentSignupsPerEmailPerHour,
    signUpsPerIpPerHour: config.agentSignupsPerIpPerHour,
    verifyPerEmailPerDay: config.agentVerifyPerEmailPerDay,
    verifyPerIpPerHour: config.agentVerifyPerIpPerHour,
    leakReportsPerIpPerHour: config.leakReportsPerIpPerHour,
    plans: PLANS,
    bodyLimitBytes,
    errors,
    operations: operationsOf(openApi),
  };
}
