import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { lint } from 'markdownlint/promise';
import { codeFrom } from './helpers/mailtrap.js';
import { freePort } from './helpers/process.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);

/** The fenced blocks of one language, in page order. */
function fenced(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\`$`, 'gm'))].map((match) => match[1]!);
}

async function bash(script: string): Promise<string> {
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 30_000 });
  return stdout;
}

/** markdownlint's findings, except line length (prose and tables are not wrapped). */
async function markdownProblems(name: string, text: string): Promise<string[]> {
  const results = await lint({ strings: { [name]: text }, config: { default: true, MD013: false } });
  return results[name]!.map(
    (problem) => `${name}:${problem.lineNumber} ${problem.ruleNames.join('/')} ${problem.ruleDescription} ${problem.errorDetail ?? ''}`,
  );
}

describe('docs an agent can read: /llms.txt, /auth.md, /api.md, /mcp.md', () => {
  let t: TestServer;
  let base: string;
  before(async () => {
    // PUBLIC_URL is this very server, so the examples in the pages can be run against it as they are.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestServer({
      PORT: String(port),
      PUBLIC_URL: base,
      FUNCSPEC_AGENT_OTP_TTL: '2h',
      FUNCSPEC_AGENT_OTP_MAX_ATTEMPTS: '7',
      FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL: '4',
    });
  });
  after(() => t.close());

  it('agent docs: each page is valid Markdown, public, served as text/markdown; llms.txt follows llmstxt.org and every link answers', async () => {
    for (const path of ['/llms.txt', '/auth.md', '/api.md', '/mcp.md']) {
      const reply = await t.request('GET', path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers.get('content-type'), 'text/markdown; charset=utf-8', path);
      assert.deepEqual(await markdownProblems(path, reply.body), [], `${path} passes markdownlint`);
    }
    const index: string = (await t.request('GET', '/llms.txt')).body;
    const lines = index.split('\n');
    assert.match(lines[0]!, /^# FuncSpec$/, 'an H1 with the name first');
    assert.match(lines[2]!, /^> .+/, 'then a one-paragraph summary in a blockquote');
    const sections = index.split(/^## /m).slice(1);
    assert.deepEqual(
      sections.map((section) => section.split('\n')[0]),
      ['Docs', 'Optional'],
    );
    const links = [...index.matchAll(/^- \[([^\]]+)\]\(([^)]+)\)(: .+)?$/gm)].map((match) => match[2]!);
    for (const page of ['auth.md', 'api.md', 'mcp.md', 'openapi.json']) assert.ok(links.includes(`${base}/${page}`), `${page} in ${links.join(' ')}`);
    for (const link of links) {
      assert.ok(link.startsWith(`${base}/`), `${link} is on this server`);
      assert.equal((await fetch(link)).status, 200, link);
    }
  });

  it('agent docs: the examples in /auth.md, run verbatim with bash (the code read from the mail), get a key and read the balance', async () => {
    const page: string = (await t.request('GET', '/auth.md')).body;
    const [signUp, verify, ...useKey] = fenced(page, 'sh');
    assert.ok(signUp && verify && useKey.length >= 1, 'sign-up, verify and key-use examples');
    for (const example of [signUp, verify, ...useKey]) assert.ok(example.includes(`${base}/api/v1/`), `the example calls this server:\n${example}`);

    assert.deepEqual(JSON.parse(await bash(signUp)), { email: 'founder@example.com', message: 'Verification code sent to your email' });
    const code = codeFrom(await t.mail.waitFor('founder@example.com'));
    assert.equal(verify.match(/123456/g)?.length, 1, 'the code is the one thing the reader fills in');
    const session = [verify.replace('123456', code), ...useKey.map((example) => `${example}\necho`)].join('\n');
    const [balance, me] = (await bash(session)).trim().split('\n');
    assert.deepEqual(JSON.parse(balance!), { total_credits: 100, credits_used: 0, credits_left: 100 });
    assert.equal(JSON.parse(me!).data.user.email, 'founder@example.com');
    assert.equal(JSON.parse(me!).data.auth, 'api_key');
  });

  it('agent docs: the pages carry the configured limits, the error registry and every operation of /openapi.json', async () => {
    const auth: string = (await t.request('GET', '/auth.md')).body;
    assert.match(auth, /valid for 2 hours and allows 7 tries/);
    assert.match(auth, /\| code tries \(verify\) \| 7 per code; 20 per e-mail address per day over all its codes; 60 per client IP per hour \|/);
    assert.match(auth, /\| codes asked for \(sign-up\) \| 4 per e-mail address and 30 per client IP per hour \|/);
    assert.match(auth, /\| free \| 1,000 \|/);
    assert.match(auth, /Base URL: `http:\/\/127\.0\.0\.1:\d+`/);

    const doc = (await t.request('GET', '/openapi.json')).body;
    const api: string = (await t.request('GET', '/api.md')).body;
    for (const { error_code, status } of doc['x-error-codes'] as Array<{ error_code: string; status: number }>) {
      assert.match(api, new RegExp(`\\| ${status} \\| \`${error_code}\` \\|`), `${error_code} is in /api.md with its status`);
    }
    for (const code of ['OTP_EXPIRED', 'OTP_INVALID', 'OTP_MAX_ATTEMPTS', 'RATE_LIMITED', 'INVALID_API_KEY']) {
      const { status } = doc['x-error-codes'].find((entry: { error_code: string }) => entry.error_code === code);
      assert.match(auth, new RegExp(`\\| ${status} \\| \`${code}\` \\|`), `${code} is in /auth.md with its status`);
    }
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { 'x-scope'?: string | null }>>)) {
      for (const [method, operation] of Object.entries(item)) {
        const scope = operation['x-scope'] ? `\`${operation['x-scope']}\`` : '';
        assert.match(
          api,
          new RegExp(`\\| ${method.toUpperCase()} \\| \`${path.replace(/[{}]/g, '\\$&')}\` \\|.*\\| ${scope}`),
          `${method} ${path} is in /api.md with its scope`,
        );
      }
    }
    for (const { scope } of doc['x-scopes'] as Array<{ scope: string }>) assert.match(auth, new RegExp(`\\| \`${scope}\` \\|`), `${scope} is in /auth.md`);
    assert.match(doc.info.description, /\/llms\.txt/, 'the API description (and so /docs) links the agent pages');
  });
});
