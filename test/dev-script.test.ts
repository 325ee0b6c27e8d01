/**
 * `npm run dev` works: the API server from the sources and Vite's dev server in front of it, the page
 * served by Vite and /api proxied to the server; stopping it stops both.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { freePort } from './helpers/process.js';

async function waitFor(url: string, until: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('npm run dev', () => {
  it('serves the web app through Vite and proxies the API to the server it runs', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'funcspec-dev-'));
    const [apiPort, webPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(apiPort),
      FUNCSPEC_DEV_PORT: String(webPort),
      FUNCSPEC_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${path.join(dataDir, 'funcspec.db')}`,
      LOG_LEVEL: 'warn',
    };
    delete env.REDIS_URL;
    const dev = spawn(process.execPath, ['scripts/dev.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      const until = Date.now() + 60_000;
      const page = await waitFor(`http://localhost:${webPort}/`, until);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">/);
      let api = await waitFor(`http://localhost:${webPort}/api/v1/me`, until);
      while (api.status !== 401 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 250)); // Vite answers before the API server is up
        api = await waitFor(`http://localhost:${webPort}/api/v1/me`, until);
      }
      assert.equal(api.status, 401, 'the API answers through the Vite proxy');
      assert.equal(((await api.json()) as { error_code: string }).error_code, 'UNAUTHORIZED');
    } finally {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      process.kill(-dev.pid!, 'SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
