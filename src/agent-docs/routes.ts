import type { AppContext } from '../context.js';
import { errorRegistry } from '../http/errors.js';
import type { Api } from '../http/types.js';
import { docFacts } from './facts.js';
import { AGENT_PAGES } from './pages.js';

/**
 * The Markdown pages for agents (`/llms.txt`, `/auth.md`, `/api.md`), public. They are built once, on
 * first request, from the settings and the finished OpenAPI document: by then every route and every
 * error code is known, and neither changes while the process runs.
 */
export async function agentDocRoutes(app: Api, ctx: AppContext, openApi: () => Record<string, unknown>, bodyLimitBytes: number): Promise<void> {
  let pages: Map<string, string> | null = null;
  const page = (path: string): string => {
    if (!pages) {
      const facts = docFacts(ctx.config, openApi(), errorRegistry, bodyLimitBytes);
      pages = new Map(Object.entries(AGENT_PAGES).map(([at, build]) => [at, build(facts)]));
    }
    return pages.get(path)!;
  };
  for (const path of Object.keys(AGENT_PAGES)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-type', 'text/markdown; charset=utf-8').header('cache-control', 'public, max-age=300').send(page(path)),
    );
  }
}
