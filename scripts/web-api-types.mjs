#!/usr/bin/env node
// Writes web/src/api/schema.d.ts: the web app's API types, generated from this server's own /openapi.json
// (itself generated from the zod schemas that validate requests), so the client is never written twice.
// Run after changing a route's schema: npm run web:api-types (a test fails while the file is stale).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';

export const SCHEMA_FILE = 'web/src/api/schema.d.ts';

/** The TypeScript text for an OpenAPI document. */
export async function typesFor(document) {
  const header = "// Generated from the server's /openapi.json by scripts/web-api-types.mjs: do not edit.\n\n";
  return header + astToString(await openapiTS(document));
}

/** /openapi.json of a throw-away server on a temporary SQLite file (with SMTP set, as deployed: no dev outbox route). */
async function serverDocument() {
  const { loadConfig } = await import('../dist/config.js');
  const { startServer } = await import('../dist/server.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'funcspec-openapi-'));
  try {
    const server = await startServer(
      loadConfig({ PORT: '0', SMTP_URL: 'smtp://127.0.0.1:25', DATABASE_URL: `sqlite:${dir}/db.sqlite`, FUNCSPEC_DATA_DIR: dir, LOG_LEVEL: 'silent' }),
    );
    try {
      return await (await fetch(`${server.url}/openapi.json`)).json();
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, await typesFor(await serverDocument()));
  console.log(`wrote ${SCHEMA_FILE}`);
}
