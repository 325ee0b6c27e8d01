/**
 * A dependency (the database, Redis) did not answer: an outage, not a bug. Infrastructure code throws
 * it; the HTTP layer answers 503 SERVICE_UNAVAILABLE naming the dependency, with Retry-After.
 */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: 'database' | 'redis',
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable`, options);
    this.name = 'DependencyUnavailable';
  }
}
