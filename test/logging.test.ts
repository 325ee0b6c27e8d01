import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { redactUrl } from '../src/context.js';

describe('logs carry no secrets', () => {
  it('mailed-link tokens and codes are redacted from logged URLs', () => {
    assert.equal(redactUrl('/verify-email?token=abc123'), '/verify-email?token=[redacted]');
    assert.equal(redactUrl('/reset-password?x=1&token=s3cr3t&y=2'), '/reset-password?x=1&token=[redacted]&y=2');
    assert.equal(redactUrl('/device?user_code=ABCD-EFGH'), '/device?user_code=[redacted]');
    assert.equal(redactUrl('/invitations/accept?TOKEN=t'), '/invitations/accept?TOKEN=[redacted]');
    assert.equal(redactUrl('/api/v1/projects?q=token'), '/api/v1/projects?q=token');
  });

  it('at debug level, a request line for a mailed link shows the path and not the token', async () => {
    const { createLogger } = await import('../src/context.js');
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
    logger.debug({ req: { method: 'GET', url: '/reset-password?token=very-secret' } }, 'incoming request');
    assert.match(lines[0]!, /token=\[redacted\]/);
    assert.doesNotMatch(lines[0]!, /very-secret/);
  });
});
