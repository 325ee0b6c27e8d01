import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('the API describes itself', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('/openapi.json is OpenAPI 3.1 generated from the route schemas, with both auth schemes', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/api/v1/agent/sign-up', '/api/v1/agent/verify', '/api/v1/credits/balance', '/api/v1/me', '/healthz', '/readyz']) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    const verify = doc.paths['/api/v1/agent/verify'].post;
    assert.deepEqual(verify.requestBody.content['application/json'].schema.required.sort(), ['email', 'otp_code']);
    assert.ok(verify.responses['422'].content['application/problem+json']);
    assert.deepEqual(doc.paths['/api/v1/me'].get.security, [{ apiKey: [] }, { bearer: [] }, { session: [] }]);
    assert.equal(doc.components.securitySchemes.apiKey.name, 'X-Api-Key');
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer.description });
  });

  it('every error code the server can answer is listed in x-error-codes and documented in the README', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body;
    const readme = readFileSync('README.md', 'utf8');
    const codes: Array<{ error_code: string; status: number }> = doc['x-error-codes'];
    assert.ok(codes.length >= 15);
    const undocumented = codes.filter(({ error_code, status }) => !new RegExp(`\\|\\s*\`${error_code}\`\\s*\\|\\s*${status}\\s*\\|`).test(readme));
    assert.deepEqual(undocumented, [], 'README error table rows: | `CODE` | status | when |');
  });

  it('an error code has one definition: a second one, even with the same status, stops the server at start-up', async () => {
    const { defineErrors } = await import('../src/http/errors.js');
    const { AccountErrors } = await import('../src/accounts/errors.js');
    const { MailErrors } = await import('../src/mail/errors.js');
    assert.throws(() => defineErrors({ TWO_FACTOR_INVALID: { status: 401, message: 'Another wording.' } }), /TWO_FACTOR_INVALID is defined twice/);
    assert.throws(() => defineErrors({ MAIL_DELIVERY_FAILED: { status: 503, message: MailErrors.MAIL_DELIVERY_FAILED.message } }), /defined twice/);
    const doc = (await t.request('GET', '/openapi.json')).body;
    const listed = (doc['x-error-codes'] as Array<{ error_code: string; message: string }>).filter((entry) => entry.error_code === 'EMAIL_NOT_VERIFIED');
    assert.deepEqual(
      listed.map((entry) => entry.message),
      [AccountErrors.EMAIL_NOT_VERIFIED.message],
      'listed once, with its one message',
    );
  });

  it('every setting the server reads is documented in the README', async () => {
    const source = readFileSync('src/config.ts', 'utf8');
    const settings = [...source.matchAll(/\(env, '([A-Z_]+)'/g)].map((m) => m[1]!);
    const readme = readFileSync('README.md', 'utf8');
    for (const setting of new Set([...settings, 'DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'PUBLIC_URL', 'FUNCSPEC_SECRET', 'HOST'])) {
      assert.match(readme, new RegExp(`\`${setting}\``), `${setting} is in the README`);
    }
  });

  it('/docs serves the interactive API reference', async () => {
    const page = await t.request('GET', '/docs/');
    assert.equal(page.status, 200);
    assert.match(String(page.body), /swagger-ui/i);
  });
});
