import createClient from 'openapi-fetch';
import { describeProblem } from './errors';
import type { paths } from './schema';

/**
 * The JSON API, typed from the server's own /openapi.json (schema.d.ts is generated, never edited).
 * Same origin, with the session cookie; the API's Origin rule accepts this page's requests.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

/** An API refusal (§2 problem body), or a network failure, with the sentence to show a person. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
    readonly requestId: string | null,
  ) {
    super(message);
  }

  /** Field → problem, for VALIDATION_FAILED (shown next to each field). */
  get fields(): Record<string, string> {
    const fields = this.details.fields;
    return fields && typeof fields === 'object' ? (fields as Record<string, string>) : {};
  }
}

interface Problem {
  status?: number;
  error_code?: string;
  message?: string;
  details?: Record<string, unknown>;
  request_id?: string;
}

/** `data` of a successful answer, or an ApiProblem carrying words for a person. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await request;
  } catch {
    throw new ApiProblem(0, 'NETWORK_ERROR', 'The server could not be reached. Check your connection and try again.', {}, null);
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const problem = (error && typeof error === 'object' ? error : {}) as Problem;
  const code = problem.error_code ?? 'INTERNAL_ERROR';
  if (response.status === 401 && code === 'UNAUTHORIZED') sessionEnded();
  const details = { ...(problem.details ?? {}) };
  const retryAfter = response.headers.get('retry-after');
  if (details.retry_after_seconds === undefined && retryAfter && /^\d+$/.test(retryAfter)) details.retry_after_seconds = Number(retryAfter);
  throw new ApiProblem(response.status, code, describeProblem(code, details, problem.message), details, problem.request_id ?? null);
}

let sessionEnded = () => {};
/** Called when the API says the caller is not signed in (any more). */
export function onSessionEnded(listener: () => void): void {
  sessionEnded = listener;
}

/** The message of any error, for a person. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}
