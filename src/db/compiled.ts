import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './index.js';

/**
 * A hot-path query built and compiled once: Kysely otherwise rebuilds and compiles the query tree on
 * every call, which costs more than running it on SQLite. Later calls only swap in their arguments,
 * so this applies when the query's parameters are exactly its arguments, in order (checked on the
 * first call; otherwise every call compiles, as usual).
 */
export function compiledOnce<Args extends unknown[], Row>(db: Db, build: (...args: Args) => Compilable<Row>): (...args: Args) => Promise<Row[]> {
  let compiled: CompiledQuery<Row> | null | undefined;
  return async (...args) => {
    if (compiled === undefined) {
      const first = build(...args).compile();
      const reusable = first.parameters.length === args.length && first.parameters.every((value, i) => value === args[i]);
      compiled = reusable ? first : null;
    }
    const query = compiled ? { ...compiled, parameters: args } : build(...args).compile();
    return (await db.executeQuery(query)).rows;
  };
}
