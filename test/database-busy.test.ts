/**
 * A database that cannot take a write in time is an outage, not a bug: with the SQLite file locked by
 * another writer past the 5 s busy timeout, a write answers 503 SERVICE_UNAVAILABLE naming the
 * database, with Retry-After, and works again once the lock is gone. (PostgreSQL outages are proved in
 * cluster-faults.test.ts.) Runs on the SQLite run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { usingPostgres } from './helpers/databases.js';
import type { Reply } from './helpers/http.js';
import { agentKey, startTestServer } from './helpers/server.js';

describe('database busy', { skip: usingPostgres ? 'the SQLite run proves this (PostgreSQL: cluster-faults.test.ts)' : false }, () => {
  it("a write while another process holds the SQLite file's write lock past busy_timeout is 503 with details.dependency and Retry-After, then works", async () => {
    const t = await startTestServer();
    try {
      const { key } = await agentKey(t);
      const project = (await t.request('POST', '/api/v1/projects', { key, body: { name: 'Locked out' } })).body.data;
      const items = `/api/v1/projects/${project.id}/spec/items`;
      const other = new SqliteDatabase(t.env.DATABASE_URL!.slice('sqlite:'.length));
      other.exec('begin immediate'); // another writer holds the file
      let reply: Reply;
      try {
        reply = await t.request('POST', items, { key, body: { type_of: 'functional', title: 'waits for the lock' } });
      } finally {
        other.exec('rollback');
        other.close();
      }
      assert.equal(reply.status, 503, JSON.stringify(reply.body));
      assert.equal(reply.body.error_code, 'SERVICE_UNAVAILABLE');
      assert.equal(reply.body.details.dependency, 'database');
      assert.equal(reply.headers.get('retry-after'), '1');
      const after = await t.request('POST', items, { key, body: { type_of: 'functional', title: 'after the lock' } });
      assert.equal(after.status, 201);
      assert.equal(after.body.data.permalink, 'F-1', 'the refused write left nothing behind');
    } finally {
      await t.close();
    }
  });
});
