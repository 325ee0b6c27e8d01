import type { Config } from '../config.js';
import type { ErrorDefinition } from '../http/errors.js';
import { SCOPE_DESCRIPTIONS, SCOPE_INCLUDES, SCOPES } from '../keys/scopes.js';
import { TOOLS } from '../mcp/tools.js';
import { PLANS } from '../credits/plans.js';
import type { Plan } from '../orgs/tables.js';

/** One operation of the HTTP API, as the OpenAPI document describes it. */
export interface Operation {
  method: string;
  path: string;
  tag: string;
  summary: string;
  /** Which credentials it takes: none, an API key, a web session, or either. */
  auth: 'none' | 'key' | 'session' | 'key or session';
  /** The scope a key needs (null: none, or keys are not taken). */
  scope: string | null;
}

/** An MCP tool, as the MCP server lists it. */
export interface ToolFact {
  name: string;
  description: string;
  scope: string;
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
  scopes: Array<{ scope: string; description: string; includes: string | null }>;
  tools: ToolFact[];
}

type OpenApiOperation = { tags?: string[]; summary?: string; security?: Array<Record<string, unknown>>; 'x-scope'?: string | null };

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
      return {
        method: method.toUpperCase(),
        path,
        tag: operation.tags?.[0] ?? 'Other',
        summary: operation.summary ?? '',
        auth: authOf(operation.security),
        scope: operation['x-scope'] ?? null,
      };
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
    scopes: SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope], includes: SCOPE_INCLUDES[scope] ?? null })),
    tools: TOOLS.map((tool) => ({ name: tool.name, description: tool.description, scope: tool.scope })),
  };
}
