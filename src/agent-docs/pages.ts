import { describeDuration } from '../lib/duration.js';
import type { DocFacts, Operation } from './facts.js';

/** The Markdown pages this server publishes for agents, by path. */
export const AGENT_PAGES = {
  '/llms.txt': llmsTxt,
  '/auth.md': authMarkdown,
  '/api.md': apiMarkdown,
  '/mcp.md': mcpMarkdown,
} as const satisfies Record<string, (facts: DocFacts) => string>;

/** Codes an agent meets while getting a key, and while using it, in the order a reader needs them. */
const SIGN_UP_CODES = [
  'OTP_EXPIRED',
  'OTP_INVALID',
  'OTP_MAX_ATTEMPTS',
  'RATE_LIMITED',
  'TWO_FACTOR_REQUIRED',
  'TWO_FACTOR_INVALID',
  'VALIDATION_FAILED',
  'MAIL_DELIVERY_FAILED',
  'INTERNAL_ERROR',
];
const KEY_USE_CODES = [
  'UNAUTHORIZED',
  'INVALID_API_KEY',
  'FORBIDDEN',
  'INSUFFICIENT_SCOPE',
  'IP_NOT_ALLOWED',
  'NOT_FOUND',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
];
/** What a refused MCP request or tool call says, besides the codes of using a key. */
const MCP_CODES = ['VALIDATION_FAILED', 'VERSION_CONFLICT', 'INVALID_TRANSITION', 'NOT_ACCEPTABLE', 'METHOD_NOT_ALLOWED'];

const EXAMPLE_EMAIL = 'founder@example.com';
/** Stands for the mailed code in the verify example; the reader puts theirs in its place. */
export const EXAMPLE_OTP = '123456';

/** A table cell: pipes and line breaks would end the cell or the row, and `<` could open inline HTML. */
function cell(text: string): string {
  return text.replace(/[|<]/g, '\\$&').replace(/\s*\n\s*/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Rows of the error table for `codes`; a code missing from the registry is a bug, not a silent gap. */
function errorRows(facts: DocFacts, codes: Iterable<string>): string[][] {
  return [...codes].map((code) => {
    const known = facts.errors.get(code);
    if (!known) throw new Error(`the agent docs name ${code}, which no feature defines`);
    return [String(known.status), `\`${code}\``, known.message];
  });
}

/** `/llms.txt`: the index of the docs, after llmstxt.org (title, summary, sections of links). */
export function llmsTxt(facts: DocFacts): string {
  const base = facts.baseUrl;
  return `# FuncSpec

> FuncSpec keeps software specifications (functional and technical spec items with review and implementation states, in projects of organizations) and the access control around them. This server is <${base}>; its JSON API is under \`${base}/api/v1\`.

An agent gets an API key in two calls (sign-up, then verify with the 6-digit code mailed to it) and sends it as \`X-API-Key\` on every request. Every error is \`application/problem+json\` with a stable \`error_code\`. These pages are generated from the server's own settings and schemas, so their limits and examples are this server's.

## Docs

- [Authentication for agents](${base}/auth.md): get a key in two calls, the error codes, the limits, using the key, and what to do when it leaks
- [API reference](${base}/api.md): every operation with its method, path, credentials and key scope, and every error code
- [MCP server](${base}/mcp.md): connect a Model Context Protocol client to \`${base}/mcp\` with the same key; the tools and the scopes they need
- [OpenAPI document](${base}/openapi.json): the same API, machine-readable (OpenAPI 3.1)

## Optional

- [Interactive API reference](${base}/docs): the OpenAPI document rendered for people in a browser
`;
}

/** `/auth.md`: how an agent gets a key and uses it, with this server's address and limits in every example. */
export function authMarkdown(facts: DocFacts): string {
  const base = facts.baseUrl;
  const free = facts.plans.free;
  return `# FuncSpec authentication for agents

> Get an API key in two calls, then send it as \`X-API-Key\` on every request to \`${base}/api/v1\`.

Base URL: \`${base}\`

There is no OAuth flow and no dashboard step. Every request to the API is JSON and authenticates with one header:

${table(
  ['header', 'value'],
  [
    ['`X-API-Key`', `your key: \`${facts.keyPrefix}\` followed by 38 letters and digits`],
    ['`Content-Type`', '`application/json`, on requests with a body'],
  ],
)}

The index of these docs is [llms.txt](${base}/llms.txt).

## Step 1: ask for a code

\`\`\`sh
curl -sS -X POST ${base}/api/v1/agent/sign-up \\
  -H "Content-Type: application/json" \\
  -d '{"email": "${EXAMPLE_EMAIL}"}'
\`\`\`

The answer (200):

\`\`\`json
{"email": "${EXAMPLE_EMAIL}", "message": "Verification code sent to your email"}
\`\`\`

A 6-digit code goes to the address. It is valid for ${describeDuration(facts.otpTtlMs)} and allows ${facts.otpMaxAttempts} tries. A new address gets an account when the code is verified; a known one gets its key back, which is how a lost key is recovered. Asking again replaces the pending code, and the tries already spent on it carry over.

## Step 2: trade the code for the key

Put the code from the e-mail in place of \`${EXAMPLE_OTP}\`. This keeps the key in the shell variable \`API_KEY\` rather than on the screen:

\`\`\`sh
API_KEY=$(curl -sS -X POST ${base}/api/v1/agent/verify \\
  -H "Content-Type: application/json" \\
  -d '{"email": "${EXAMPLE_EMAIL}", "otp_code": "${EXAMPLE_OTP}"}' \\
  | grep -o '${facts.keyPrefix}[0-9A-Za-z]*')
\`\`\`

The answer (200) is:

\`\`\`json
{"email": "${EXAMPLE_EMAIL}", "api_key": "${facts.keyPrefix}…", "is_new_user": true}
\`\`\`

Store \`api_key\` as a secret: the server keeps only a hash of it. A new user also gets a personal organization they own; the key acts in it with their role. If the account has two-factor authentication on, add \`"totp_code"\` with the current code from the authenticator app; an account whose only second factor is a passkey cannot get a key this way (401 \`TWO_FACTOR_REQUIRED\`, \`details.methods\`: \`["passkey"]\`) and gets one through the browser instead (\`funcspec auth login --web\`).

## Step 3: use the key

\`\`\`sh
curl -sS ${base}/api/v1/credits/balance \\
  -H "X-API-Key: $API_KEY"
\`\`\`

The answer (200), for a new organization on the free plan:

\`\`\`json
{"total_credits": ${free.monthlyCredits}, "credits_used": 0, "credits_left": ${free.monthlyCredits}}
\`\`\`

Who the key acts as, and in which organization:

\`\`\`sh
curl -sS ${base}/api/v1/me \\
  -H "X-API-Key: $API_KEY"
\`\`\`

Successful answers are \`{"data": …, "meta": …}\` (lists carry \`meta: {total, page, per}\`, at most 100 a page); the agent endpoints and the balance answer the flat bodies shown above. Every operation is listed in [api.md](${base}/api.md).

${authRulesMarkdown(facts)}`;
}

/** The second half of `/auth.md`: errors, narrower keys, limits and leaks. */
function authRulesMarkdown(facts: DocFacts): string {
  const base = facts.baseUrl;
  const planRows = (Object.entries(facts.plans) as Array<[string, { requestsPerHour: number }]>).map(([plan, { requestsPerHour }]) => [
    plan,
    plan === 'enterprise' ? `set by the operator (${count(requestsPerHour)} unless set)` : count(requestsPerHour),
  ]);
  return `## Errors

Every error is \`application/problem+json\`: \`{"status", "error_code", "message", "details", "request_id"}\`. Act on \`error_code\`; the message is for people.

While getting a key:

${table(['status', 'error_code', 'meaning'], errorRows(facts, SIGN_UP_CODES))}

While using it:

${table(['status', 'error_code', 'meaning'], errorRows(facts, KEY_USE_CODES))}

Every other code is in [api.md](${base}/api.md).

## Limit a key

A key can do everything its owner's role allows, in every project of its organization. Give a narrower one to a job or a sub-agent: \`POST ${base}/api/v1/organizations/{org}/api-keys\` with \`{"name": "…", "scopes": […], "project_ids": […]}\` (project ids or slugs) answers a new key, shown once. A key made with a key never gets more than that key has. Anything a key's scopes or projects do not cover is 403 \`INSUFFICIENT_SCOPE\` with \`details.required_scope\`; each operation's scope is in [api.md](${base}/api.md).

${table(
  ['scope', 'lets a key'],
  facts.scopes.map(({ scope, description, includes }) => [`\`${scope}\``, includes ? `${description} (and \`${includes}\`)` : description]),
)}

## Limits

${table(
  ['what', 'limit'],
  [
    ['codes asked for (sign-up)', `${facts.signUpsPerEmailPerHour} per e-mail address and ${facts.signUpsPerIpPerHour} per client IP per hour`],
    [
      'code tries (verify)',
      `${facts.otpMaxAttempts} per code; ${facts.verifyPerEmailPerDay} per e-mail address per day over all its codes; ${facts.verifyPerIpPerHour} per client IP per hour`,
    ],
    ['code lifetime', describeDuration(facts.otpTtlMs)],
    ['request body', `${facts.bodyLimitBytes / (1024 * 1024)} MiB`],
  ],
)}

Requests per hour for each key, by the organization's plan:

${table(['plan', 'requests per hour per key'], planRows)}

Every key-authenticated answer carries \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\` (Unix seconds). Over a limit the answer is 429 \`RATE_LIMITED\` with \`Retry-After\` in seconds (also in \`details.retry_after_seconds\`): wait that long, then retry.

## When a key leaks

A key found where it should not be (a repository, a log, a paste) is revoked at once by sending it to \`POST ${base}/api/v1/keys/leaked\` as \`{"keys": ["${facts.keyPrefix}…"]}\`, with no credentials (${facts.leakReportsPerIpPerHour} reports per client IP per hour). The answer is 202 whatever was sent; the key's owner and the organization's admins are mailed. \`funcspec scan --git --report\` finds keys in a working tree and its git history and reports them. Then get a new key: step 1 again with the same address.
`;
}

const AUTH_WORDS: Record<Operation['auth'], string> = { none: 'none', key: 'API key', session: 'session', 'key or session': 'API key or session' };

/** `/api.md`: every operation of the OpenAPI document by tag, and every error code. */
export function apiMarkdown(facts: DocFacts): string {
  const byTag = new Map<string, Operation[]>();
  for (const operation of facts.operations) byTag.set(operation.tag, [...(byTag.get(operation.tag) ?? []), operation]);
  const sections = [...byTag].map(
    ([tag, operations]) =>
      `## ${tag}\n\n${table(
        ['method', 'path', 'what', 'credentials', 'key scope'],
        operations.map((op) => [
          op.method,
          `\`${op.path}\``,
          op.summary,
          AUTH_WORDS[op.auth],
          op.scope ? `\`${op.scope}\`` : op.auth.includes('key') ? 'any' : 'n/a',
        ]),
      )}`,
  );
  const codes = [...facts.errors.keys()].sort((a, b) => facts.errors.get(a)!.status - facts.errors.get(b)!.status || a.localeCompare(b));
  return `# FuncSpec API reference

> Every operation of the FuncSpec API at \`${facts.baseUrl}/api/v1\`, and every error code it answers. Request and response schemas are in [openapi.json](${facts.baseUrl}/openapi.json).

Send the API key as \`X-API-Key\` (how to get one: [auth.md](${facts.baseUrl}/auth.md)). A key limited to some scopes needs the one in the last column (a write scope includes the read scope of the same things). Organizations and projects are named in paths by id or slug, spec items by id or permalink (\`F-3\`, \`T-12\`).

${sections.join('\n\n')}

## Error codes

${table(['status', 'error_code', 'meaning'], errorRows(facts, codes))}
`;
}

/** `/mcp.md`: the MCP server: where, how to authenticate, the tools with their scopes, what a refusal looks like. */
export function mcpMarkdown(facts: DocFacts): string {
  const base = facts.baseUrl;
  const config = JSON.stringify({ mcpServers: { funcspec: { type: 'http', url: `${base}/mcp`, headers: { 'X-API-Key': `${facts.keyPrefix}…` } } } }, null, 2);
  return `# FuncSpec MCP server

> A Model Context Protocol server at \`${base}/mcp\` that reads and writes this FuncSpec's specifications with the same API key as the HTTP API, under the same roles, scopes, allow-lists and rate limit.

Transport: Streamable HTTP, stateless (no session to keep; any server process answers), answers in JSON. Send \`X-API-Key: <key>\` or \`Authorization: Bearer <key>\` on every request (how to get a key: [auth.md](${base}/auth.md)). Most MCP clients take a configuration like this one:

\`\`\`json
${config}
\`\`\`

## Tools

Each tool is one operation of the HTTP API, with that operation's arguments and answer ([api.md](${base}/api.md)). A key limited to some scopes needs the tool's.

${table(
  ['tool', 'what', 'key scope'],
  facts.tools.map((tool) => [`\`${tool.name}\``, tool.description, `\`${tool.scope}\``]),
)}

Projects are named by id or slug, spec items by id or permalink (\`F-3\`, \`T-12\`). To edit an item, read it with \`get_item\` and pass its \`version\` to \`update_item\`: if someone changed it since, nothing is written and the tool answers \`VERSION_CONFLICT\`; read it again and reapply.

## Errors and limits

A tool call the operation refuses is a tool error (\`isError\`): its text starts with the \`error_code\` and status, and \`structuredContent\` is the HTTP API's problem (\`status\`, \`error_code\`, \`message\`, \`details\`, \`request_id\`). A request refused as a whole is an HTTP error with the same problem body: 401 without a key or with a bad one (\`WWW-Authenticate\` says so), 403 from an address the key is not allowed from, 429 over the rate limit (\`Retry-After\`).

Every MCP request counts as one request against the key's hourly limit (${count(facts.plans.free.requestsPerHour)} on the free plan), a tool call included: one JSON-RPC message per request (batches are refused).

${table(
  ['status', 'error_code', 'meaning'],
  errorRows(
    facts,
    [...KEY_USE_CODES, ...MCP_CODES].sort((a, b) => facts.errors.get(a)!.status - facts.errors.get(b)!.status),
  ),
)}
`;
}
