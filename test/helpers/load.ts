import type { Reply } from './http.js';

/** One answered (or failed) request of a load run. */
export interface Sample {
  /** Milliseconds since the load started, when the request was sent. */
  at: number;
  ms: number;
  kind: string;
  /** 0: no HTTP answer (connection error or timeout). */
  status: number;
  errorCode: string | null;
  retryAfter: string | null;
}

export interface Load {
  readonly samples: Sample[];
  readonly startedAt: number;
  /** Milliseconds since the load started. */
  now(): number;
  stop(): Promise<void>;
}

/** A step of a worker: sends one request and says what it was. */
export type Step = () => Promise<{ kind: string; reply: Reply }>;

/** Runs each step in a loop, concurrently, recording every answer, until stop(). */
export function startLoad(steps: Step[]): Load {
  const startedAt = Date.now();
  const samples: Sample[] = [];
  let running = true;
  const workers = steps.map(async (step) => {
    while (running) {
      const at = Date.now() - startedAt;
      try {
        const { kind, reply } = await step();
        samples.push({
          at,
          ms: Date.now() - startedAt - at,
          kind,
          status: reply.status,
          errorCode: reply.body?.error_code ?? null,
          retryAfter: reply.headers.get('retry-after'),
        });
      } catch (error) {
        samples.push({ at, ms: Date.now() - startedAt - at, kind: `error: ${(error as Error).name}`, status: 0, errorCode: null, retryAfter: null });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    samples,
    startedAt,
    now: () => Date.now() - startedAt,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** Counts of `status error_code` over samples, for the test output. */
export function tally(samples: Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const label = `${s.status}${s.errorCode ? ` ${s.errorCode}` : ''}`;
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}
