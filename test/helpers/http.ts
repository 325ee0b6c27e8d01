import assert from 'node:assert/strict';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is (no JSON encoding) when a string. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  key?: string;
  cookie?: string;
  /** To give up on an answer (e.g. `AbortSignal.timeout(ms)`). */
  signal?: AbortSignal;
}

/** A tiny JSON client over fetch: real HTTP to the server under test. */
export function client(baseUrl: string) {
  return async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.key) headers['x-api-key'] = options.key;
    if (options.cookie) headers.cookie = options.cookie;
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: options.signal });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  };
}

/**
 * Asserts the §2 problem envelope: `status`, `error_code` (when given), a message, details, the request id
 * of the X-Request-Id header, and nothing of the server's insides (no stack trace, no SQL).
 */
export function assertProblem(reply: Reply, status: number, errorCode?: string): void {
  assert.equal(reply.status, status, `expected ${status}${errorCode ? ` ${errorCode}` : ''}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(reply.body.status, status);
  if (errorCode) assert.equal(reply.body.error_code, errorCode);
  assert.equal(typeof reply.body.message, 'string');
  assert.equal(typeof reply.body.details, 'object');
  assert.equal(reply.body.request_id, reply.headers.get('x-request-id'));
  assert.doesNotMatch(JSON.stringify(reply.body), /at .*\.(ts|js):\d+|SELECT|INSERT|sqlite|postgres/i, 'no stack trace or SQL in an error');
}
