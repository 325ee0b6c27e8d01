import { clean } from './output.js';
/** Exit codes of the CLI (CONTRACT §7). */
export const EXIT = {
  OK: 0,
  OTHER: 1,
  USAGE: 2,
  AUTH: 3,
  NOT_FOUND: 4,
  RATE_LIMITED: 5,
} as const;

/** A failure the CLI reports as one or more lines on stderr and an exit code; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.OTHER,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The user asked for something the command line cannot mean (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.USAGE, hint);
  }
}

/** The §2 problem body, as far as the CLI relies on it. */
export interface Problem {
  status: number;
  error_code: string;
  message: string;
  details: Record<string, unknown>;
  request_id?: string;
}

/** The API answered with an error (the problem envelope, or something that is not one). */
export class ApiCallError extends CliError {
  constructor(
    readonly problem: Problem,
    readonly url: string,
  ) {
    super(problem.message, exitCodeFor(problem), hintFor(problem));
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.error_code;
  }
}

/** 401 → auth, 403/404 → not found or forbidden, 429 → rate limited, anything else → other. */
export function exitCodeFor(problem: Pick<Problem, 'status' | 'error_code'>): number {
  if (problem.status === 401) return EXIT.AUTH;
  if (problem.status === 403 || problem.status === 404) return EXIT.NOT_FOUND;
  if (problem.status === 429) return EXIT.RATE_LIMITED;
  return EXIT.OTHER;
}

function hintFor(problem: Problem): string | undefined {
  switch (problem.error_code) {
    case 'UNAUTHORIZED':
    case 'INVALID_API_KEY':
      return 'run `funcspec auth login` (or set FUNCSPEC_API_KEY) to use a valid key';
    case 'IP_NOT_ALLOWED':
      return 'this key or its organization only accepts requests from listed IP addresses; ask an admin to add yours';
    case 'FORBIDDEN':
      return 'your role in this organization or project does not allow this; `funcspec auth status` shows who you are';
    case 'NOT_FOUND':
      if (/^No route for /.test(problem.message)) return 'this server does not offer that endpoint; is it an older FuncSpec release than this CLI?';
      return 'check the id, slug or permalink, and that your key belongs to the organization that owns it';
    case 'VERSION_CONFLICT':
      return 'someone changed it since you read it: fetch it again (`funcspec items get`), then retry with the new --if-version';
    case 'RATE_LIMITED':
      return 'wait and retry, or ask the organization owner about a plan with a higher limit';
    case 'INVALID_TRANSITION':
      return 'the item cannot move there from its current state; `allowed` lists where it can go';
    case 'INSUFFICIENT_CREDITS':
      return '`funcspec credits balance` shows what is left';
    default:
      return undefined;
  }
}

/**
 * The lines printed for a failure: `error: CODE: message`, field problems, a hint, the request id. Most of
 * it is the server's words, so every line goes through the terminal-safe filter the tables use.
 */
export function describeError(error: unknown): { lines: string[]; exitCode: number } {
  const { lines, exitCode } = errorLines(error);
  return { lines: lines.map(clean), exitCode };
}

function errorLines(error: unknown): { lines: string[]; exitCode: number } {
  if (error instanceof ApiCallError) {
    const { problem } = error;
    const lines = [`error: ${problem.error_code}: ${problem.message}`];
    const fields = problem.details.fields;
    if (fields && typeof fields === 'object') {
      for (const [field, why] of Object.entries(fields as Record<string, unknown>)) lines.push(`  ${field}: ${String(why)}`);
    }
    for (const [name, value] of Object.entries(problem.details)) {
      if (name === 'fields' || value === null || value === undefined) continue;
      const shown = Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value);
      lines.push(`  ${name}: ${shown}`);
    }
    if (error.hint) lines.push(`hint: ${error.hint}`);
    if (problem.request_id) lines.push(`request id: ${problem.request_id}`);
    return { lines, exitCode: error.exitCode };
  }
  if (error instanceof CliError) {
    const lines = [`error: ${error.message}`];
    if (error.hint) lines.push(`hint: ${error.hint}`);
    return { lines, exitCode: error.exitCode };
  }
  return { lines: [`error: ${error instanceof Error ? error.message : String(error)}`], exitCode: EXIT.OTHER };
}
