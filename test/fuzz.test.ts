/**
 * Fuzzing every operation of /openapi.json with generated path parameters, query strings, headers and
 * bodies, without credentials, with a valid API key and with a valid session: every answer is a 2xx or
 * a 4xx in the §2 problem envelope (never a 5xx, never a hang), and a refused request changes nothing
 * in the database (a digest of every table is compared around it). The run is bounded and replayable:
 * FUZZ_SEED and FUZZ_RUNS (runs per operation and credential) are printed and can be set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loginCookie, verifiedUser } from './helpers/accounts.js';
import { generateKey } from '../src/keys/format.js';
import { runFuncspec } from './helpers/operator.js';
import { openStateDigest, type StateDigest } from './helpers/state-digest.js';
import { agentKey, startTestServer, type TestServer } from './helpers/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const REQUEST_TIMEOUT_MS = 10_000;

interface Operation {
  method: string;
  path: string;
  params: Array<{ in: 'path' | 'query' | 'header'; name: string }>;
  bodyFields: string[];
  hasBody: boolean;
}

type Credential = 'none' | 'api key' | 'session';

/** Operations that would end the fuzzer's own credentials when they succeed: fuzzed without them. */
const ENDS_CREDENTIALS = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/auth/password/change', 'POST /api/v1/auth/two-factor/enable']);

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '.',
    'null',
    'undefined',
    '-1',
    '0',
    '1e309',
    '9'.repeat(40),
    'F-1',
    'T-99999999999',
    'a'.repeat(300),
    '%',
    '💥',
    '\u202e',
    "' or 1=1 --",
    '<script>',
  ),
);
const scalar = fc.oneof(anyText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const jsonish = fc.oneof(
  { depthSize: 'small' },
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 10 }), scalar, { maxKeys: 4 }),
);

function bodyArbitrary(op: Operation) {
  const fields = op.bodyFields.length > 0 ? op.bodyFields : ['name'];
  const shaped = fc.dictionary(fc.constantFrom(...fields, 'unexpected'), jsonish, { maxKeys: fields.length + 1 }).map((o) => ({ json: o }));
  return fc.oneof(
    { weight: 5, arbitrary: shaped },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.constant({ none: true }) },
    { weight: 1, arbitrary: printable.map((raw) => ({ raw, type: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc.record({
        raw: printable,
        type: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', ''),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { raw: `{"a":"${'x'.repeat(1024 * 1024)}"}`, type: 'application/json' },
        { raw: `${'['.repeat(5000)}${']'.repeat(5000)}`, type: 'application/json' },
      ),
    },
  );
}

function requestArbitrary(op: Operation, realPathValues: string[]) {
  const pathNames = op.params.filter((p) => p.in === 'path').map((p) => p.name);
  const queryNames = op.params.filter((p) => p.in === 'query').map((p) => p.name);
  // Real ids reach deep into the handlers; destructive operations get only made-up ones.
  const pathValue = op.method === 'DELETE' || op.path.endsWith('/rotate') ? anyText : fc.oneof(fc.constantFrom(...realPathValues), anyText);
  return fc.record({
    path: fc.tuple(...pathNames.map(() => fc.tuple(pathValue, fc.boolean()))),
    query: fc.dictionary(fc.constantFrom(...queryNames, 'extra', 'page', 'per'), fc.oneof(anyText, fc.array(anyText, { maxLength: 3 })), { maxKeys: 4 }),
    headers: fc.dictionary(fc.constantFrom('if-match', 'x-request-id', 'x-forwarded-for', 'accept', 'origin', 'x-api-key', 'cookie'), printable, {
      maxKeys: 3,
    }),
    body: op.hasBody || op.method !== 'GET' ? bodyArbitrary(op) : fc.constant({ none: true as const }),
  });
}

describe('fuzz: generated requests at every operation of /openapi.json', () => {
  let t: TestServer;
  let digest: StateDigest;
  let key: string;
  let cookie: string;
  let realPathValues: string[];
  const perRoute = new Map<string, { tried: number; statuses: Record<string, number> }>();
  let refused = 0;

  before(async () => {
    t = await startTestServer({
      FUNCSPEC_USAGE_FLUSH_INTERVAL: '24h',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
      FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '1000000',
      FUNCSPEC_ACCOUNT_MAILS_PER_IP: '1000000',
      FUNCSPEC_AGENT_SIGNUPS_PER_IP: '1000000',
      FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS: '1000000',
      FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS_PER_ACCOUNT: '1000000',
    });
    ({ key } = await agentKey(t));
    const me = (await t.request('GET', '/api/v1/me', { key })).body.data;
    assert.equal((await runFuncspec(['admin', 'org', 'set-plan', me.organization.id, 'enterprise', '--rate-limit', '10000000'], t.env)).code, 0);
    const project = (await t.request('POST', '/api/v1/projects', { key, body: { name: 'Fuzzed' } })).body.data;
    const item = (await t.request('POST', `/api/v1/projects/${project.id}/spec/items`, { key, body: { type_of: 'functional', title: 'Target' } })).body.data;
    const spare = (await t.request('POST', `/api/v1/organizations/${me.organization.id}/api-keys`, { key, body: { name: 'spare' } })).body.data;
    const user = await verifiedUser(t);
    cookie = await loginCookie(t, user.email);
    realPathValues = [me.organization.id, project.id, item.id, item.permalink, spare.id, me.user.id, user.id];
    digest = await openStateDigest(t.env.DATABASE_URL!);
  });
  after(async () => {
    await digest?.close();
    await t?.close();
  });

  it(`every answer is 2xx or a 4xx problem envelope, within ${REQUEST_TIMEOUT_MS / 1000} s, and refused requests change nothing (seed and runs printed)`, async () => {
    console.log(`# fuzz seed ${SEED}, ${RUNS} runs per operation and credential (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`);
    const doc = (await t.request('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { parameters?: Operation['params']; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>
      >;
    };
    const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        hasBody: op.requestBody !== undefined,
        bodyFields: Object.keys(op.requestBody?.content['application/json']?.schema.properties ?? {}),
      })),
    );
    let state = await digest.read();
    let seed = SEED;
    for (const op of operations) {
      const label = `${op.method} ${op.path}`;
      const credentials: Credential[] = ENDS_CREDENTIALS.has(label) ? ['none'] : ['none', 'api key', 'session'];
      for (const credential of credentials) {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(op, realPathValues), fc.boolean(), async (input, wellFormedUnknownKey) => {
            let path = op.path;
            const pathNames = op.params.filter((p) => p.in === 'path').map((p) => p.name);
            pathNames.forEach((name, i) => {
              const [value, raw] = input.path[i]!;
              path = path.replace(`{${name}}`, raw && /^[\x21-\x7e]*$/.test(value) && !/[?#/]/.test(value) ? value : encodeURIComponent(value));
            });
            const query = new URLSearchParams();
            for (const [name, value] of Object.entries(input.query)) for (const v of Array.isArray(value) ? value : [value]) query.append(name, v);
            const headers: Record<string, string> = { ...input.headers };
            if (credential === 'api key') headers['x-api-key'] = key;
            else if (credential === 'session') headers.cookie = cookie;
            else if (headers['x-api-key'] !== undefined && wellFormedUnknownKey) headers['x-api-key'] = generateKey('live');
            let body: string | undefined;
            if ('json' in input.body) {
              body = JSON.stringify(input.body.json);
              headers['content-type'] = 'application/json';
            } else if ('raw' in input.body) {
              body = input.body.raw;
              if (input.body.type) headers['content-type'] = input.body.type;
            }
            const url = `${t.url}${path}${query.size ? `?${query}` : ''}`;
            const response = await fetch(url, {
              method: op.method,
              headers,
              body: op.method === 'GET' ? undefined : body,
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            const text = await response.text();
            const tally = perRoute.get(label) ?? { tried: 0, statuses: {} };
            tally.tried++;
            tally.statuses[response.status] = (tally.statuses[response.status] ?? 0) + 1;
            perRoute.set(label, tally);
            const where = `${op.method} ${url.slice(0, 300)} (${credential}) → ${response.status} ${text.slice(0, 300)}`;
            assert.ok(response.status < 500, `no 5xx: ${where}`);
            const after = await digest.read();
            if (response.status >= 400) {
              refused++;
              assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, where);
              const problem = JSON.parse(text);
              assert.equal(problem.status, response.status, where);
              assert.match(problem.error_code, /^[A-Z][A-Z0-9_]+$/, where);
              assert.equal(typeof problem.message, 'string', where);
              assert.ok(problem.details && typeof problem.details === 'object' && !Array.isArray(problem.details), where);
              assert.equal(problem.request_id, response.headers.get('x-request-id'), where);
              assert.deepEqual(after, state, `a refused request changed nothing: ${where}`);
            }
            state = after;
          }),
          { seed: seed++, numRuns: RUNS, endOnFailure: true },
        );
      }
    }
    const tried = [...perRoute.values()].reduce((sum, r) => sum + r.tried, 0);
    console.log(`# fuzz: ${tried} requests at ${perRoute.size} operations, 0 5xx, ${refused} refused with the state digest unchanged; per operation:`);
    for (const [label, r] of perRoute)
      console.log(
        `#   ${label}: ${r.tried} (${Object.entries(r.statuses)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')})`,
      );
    assert.equal((await t.request('GET', '/api/v1/me', { key })).status, 200, "the fuzzer's key still works (the run kept its reach)");
  });
});
