import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** FuncSpec's one version number (package.json's), read once: the CLI, the MCP server and the OpenAPI document say it. */
export function version(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
