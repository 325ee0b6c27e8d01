import { setTimeout as sleep } from 'node:timers/promises';
import { ApiCallError, CliError, EXIT, UsageError, type Problem } from './errors.js';
import { version } from '../lib/version.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the API key (default), or nothing (public endpoints such as the device flow). */
  auth?: 'key' | 'none';
}

export interface ApiReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string | null;
  /** A web session cookie (`name=value`), used only by the e-mail + password login. */
  cookie?: string | null;
  /** Where notes for the user go (stderr). */
  notice?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const MAX_RETRIES = 3;

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new CliError(`${name} must be a number of seconds (got "${raw}").`, EXIT.USAGE);
  return value;
}

/** `Retry-After` as seconds: a number, or an HTTP date. */
export function retryAfterSeconds(header: string | null, problem?: Problem): number | null {
  if (header) {
    if (/^\d+$/.test(header.trim())) return Number(header.trim());
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }
  const fromBody = problem?.details.retry_after_seconds;
  return typeof fromBody === 'number' && fromBody >= 0 ? fromBody : null;
}

/** Plain-language reason for a failed connection, from the error fetch throws. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is the server running?)',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
    ECONNRESET: 'connection reset by the server',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'the connection closed unexpectedly',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presented a self-signed TLS certificate',
    CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
    ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not match its name",
  };
  if (code && reasons[code]) return `${reasons[code]} [${code}]`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** True for an http:// server that is not on this machine: anything sent to it can be read on the way. */
export function sendsSecretsInClear(baseUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
  return url.protocol === 'http:' && !local;
}

/** The API client: JSON over fetch, the key in X-Api-Key, §2 problems turned into ApiCallError. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | null;
  cookie: string | null;
  private readonly notice: (line: string) => void;
  private readonly timeoutMs: number;
  private readonly maxWait: number;

  constructor(options: ClientOptions) {
    const env = options.env ?? process.env;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.apiKey = options.apiKey ?? null;
    this.cookie = options.cookie ?? null;
    this.notice = options.notice ?? ((line) => process.stderr.write(`${line}\n`));
    this.timeoutMs = seconds(env, 'FUNCSPEC_TIMEOUT', 30) * 1000;
    this.maxWait = seconds(env, 'FUNCSPEC_MAX_RETRY_WAIT', 60);
    if (sendsSecretsInClear(this.baseUrl)) {
      this.notice(`warning: ${this.baseUrl} is plain http: your API key (and any password) crosses the network unencrypted; use https://`);
    }
  }

  url(path: string, query?: Query): string {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<ApiReply<T>> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': `funcspec-cli/${version()} node/${process.versions.node} ${process.platform}`,
      ...options.headers,
    };
    if ((options.auth ?? 'key') === 'key') {
      if (this.apiKey) headers['x-api-key'] = this.apiKey;
      else if (this.cookie) headers.cookie = this.cookie;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }

    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'manual' });
      } catch (error) {
        const name = (error as Error).name;
        const reason = name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : networkReason(error);
        throw new CliError(
          `cannot reach the FuncSpec server at ${url}: ${reason}`,
          EXIT.OTHER,
          'check base_url (`funcspec config get base_url`) and that the server is up',
        );
      }
      const text = await response.text().catch(() => '');
      let parsed: unknown;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
      }
      if (response.status < 400) {
        if (response.status >= 300) {
          throw new CliError(
            `the server at ${url} redirected (${response.status}) to ${response.headers.get('location') ?? 'elsewhere'}`,
            EXIT.OTHER,
            'set base_url to the final address',
          );
        }
        return { status: response.status, headers: response.headers, body: parsed as T };
      }
      const problem = asProblem(parsed, response, url);
      if (response.status === 429 && attempt < MAX_RETRIES) {
        const wait = retryAfterSeconds(response.headers.get('retry-after'), problem);
        if (wait !== null && wait <= this.maxWait) {
          this.notice(`funcspec: rate limited (${problem.error_code}); waiting ${wait} s as Retry-After asks, then retrying (${attempt + 1}/${MAX_RETRIES})`);
          await sleep(wait * 1000);
          continue;
        }
        if (wait !== null) {
          this.notice(
            `funcspec: rate limited; Retry-After is ${wait} s, longer than the ${this.maxWait} s funcspec waits (FUNCSPEC_MAX_RETRY_WAIT), so not retrying`,
          );
        }
      }
      throw new ApiCallError(problem, url);
    }
  }

  async get<T = unknown>(path: string, query?: Query): Promise<T> {
    return (await this.call<T>('GET', path, { query })).body;
  }

  async post<T = unknown>(path: string, body: unknown = {}, headers?: Record<string, string>): Promise<T> {
    return (await this.call<T>('POST', path, { body, headers })).body;
  }

  async patch<T = unknown>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return (await this.call<T>('PATCH', path, { body, headers })).body;
  }

  async delete(path: string): Promise<void> {
    await this.call('DELETE', path);
  }
}

function asProblem(parsed: unknown, response: Response, url: string): Problem {
  const body = parsed as Partial<Problem> | undefined;
  if (body && typeof body === 'object' && typeof body.error_code === 'string' && typeof body.message === 'string') {
    return {
      status: typeof body.status === 'number' ? body.status : response.status,
      error_code: body.error_code,
      message: body.message,
      details: body.details && typeof body.details === 'object' ? body.details : {},
      request_id: body.request_id ?? response.headers.get('x-request-id') ?? undefined,
    };
  }
  return {
    status: response.status,
    error_code: `HTTP_${response.status}`,
    message: `unexpected answer ${response.status} ${response.statusText} from ${url} (not a FuncSpec API error; is base_url right?)`,
    details: {},
    request_id: response.headers.get('x-request-id') ?? undefined,
  };
}

/** Path segment, escaped: ids, slugs and permalinks go into URLs as typed. */
export function seg(value: string): string {
  // `.` and `..` survive encoding and are resolved as path steps (`members/..` is the organization
  // itself): an id is never one of them, so refuse before any request is sent.
  if (value === '.' || value === '..' || value === '') throw new UsageError(`"${value}" is not an id, slug or permalink`);
  return encodeURIComponent(value);
}
