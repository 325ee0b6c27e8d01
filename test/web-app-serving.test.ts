import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
// @ts-expect-error plain JavaScript build scripts, shared with `npm run build`
import { firstPageWeight, FIRST_PAGE_BUDGET_BYTES, WEB_OUT } from '../scripts/web-size.mjs';
// @ts-expect-error plain JavaScript build scripts, shared with `npm run web:api-types`
import { SCHEMA_FILE, typesFor } from '../scripts/web-api-types.mjs';

// How the server hands out the web app: index.html for every page path, built files with long cache
// lives, JSON problems everywhere else, and the headers that keep the pages to their own origin.

describe('the web app is served by the same process', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('GET / and any page path (deep links, unknown pages) answer index.html, never cached, under the strict CSP', async () => {
    for (const path of ['/', '/sign-up', '/orgs/acme/settings/api-keys', '/projects/p1/items/F-3', '/no/such/page']) {
      const response = await fetch(`${t.url}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(response.headers.get('cache-control'), 'no-store', 'index.html names the current bundles');
      const csp = response.headers.get('content-security-policy') ?? '';
      for (const rule of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
        assert.ok(csp.includes(rule), `${path}: CSP has ${rule}: ${csp}`);
      }
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'no inline code and no other origin');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const html = await response.text();
      assert.match(html, /<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
      assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|<style/, 'no inline script or style in the page');
    }
  });

  it('built assets are hashed and cached for a year, with the same security headers', async () => {
    const html = await (await fetch(`${t.url}/`, { headers: { accept: 'text/html' } })).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `script and stylesheet: ${assets.join(', ')}`);
    for (const asset of assets) {
      const response = await fetch(`${t.url}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable', asset);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      await response.arrayBuffer(); // a body left unread holds its connection open past the server's close
    }
  });

  it('API paths and requests that do not ask for HTML keep the JSON problem 404', async () => {
    for (const [path, accept] of [
      ['/api/v1/no-such-route', 'text/html'],
      ['/api/v1/organizations/x/nothing', 'application/json'],
      ['/no/such/page', 'application/json'],
      ['/favicon.ico', '*/*'],
    ] as const) {
      const response = await fetch(`${t.url}${path}`, { headers: { accept } });
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, path);
      assert.equal(((await response.json()) as { error_code: string }).error_code, 'NOT_FOUND');
      assert.equal(response.headers.get('content-security-policy'), null, 'API answers carry none of the page headers');
    }
    const api = await fetch(`${t.url}/api/v1/me`);
    assert.equal(api.status, 401);
    assert.equal(api.headers.get('content-security-policy'), null);
    await api.arrayBuffer();
  });

  it("/docs wears the product's name and look, and its logo leads back to the app", async () => {
    const html = String((await t.request('GET', '/docs/')).body);
    assert.match(html, /<title>FuncSpec API reference<\/title>/);
    assert.match(html, /href="\.\/static\/theme\/funcspec\.css"/);
    assert.match(html, /src="\.\/static\/theme\/back-to-app\.js"/);
    const initializer = String((await t.request('GET', '/docs/static/swagger-initializer.js')).body);
    const logo = Buffer.from(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(initializer)![1]!, 'base64').toString();
    assert.match(logo, />FuncSpec API<\/text>/, "the logo is FuncSpec's, not the framework's");
    assert.match(String((await t.request('GET', '/docs/static/theme/back-to-app.js')).body), /link\.href = "\/"/);
  });

  it('the sign-in page loads at most 150 KB of JavaScript gzipped; every other page is a chunk loaded on demand', () => {
    const { files, gzipBytes, lazyChunks } = firstPageWeight(WEB_OUT);
    assert.ok(gzipBytes <= FIRST_PAGE_BUDGET_BYTES, `the sign-in page loads ${gzipBytes} bytes gzipped (${files.join(', ')})`);
    assert.ok(lazyChunks >= 10, `pages are split into chunks loaded on demand: ${lazyChunks}`);
  });

  it("the web app's API types are generated from this server's /openapi.json (web/src/api/schema.d.ts is current)", async () => {
    const document = (await t.request('GET', '/openapi.json')).body;
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), await typesFor(document), 'run `npm run web:api-types` after changing a route schema');
  });

  it('every error_code the API can answer has words for a person in the web app', async () => {
    const codes: Array<{ error_code: string }> = (await t.request('GET', '/openapi.json')).body['x-error-codes'];
    const words = readFileSync('web/src/api/errors.ts', 'utf8');
    const missing = codes.map((c) => c.error_code).filter((code) => !new RegExp(`^  ${code}: `, 'm').test(words));
    assert.deepEqual(missing, [], 'add a sentence for each to web/src/api/errors.ts');
  });
});
