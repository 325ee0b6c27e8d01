import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startTestServer, uniqueEmail } from './helpers/server.js';

describe('mail: the dev outbox when SMTP_URL is unset', () => {
  it('keeps every mail under the data dir and lists it at GET /dev/outbox; the code in it verifies', async () => {
    const t = await startTestServer({ SMTP_URL: '' });
    try {
      const email = uniqueEmail();
      assert.equal((await t.request('POST', '/api/v1/agent/sign-up', { body: { email } })).status, 200);
      const outbox = await t.request('GET', `/dev/outbox?to=${encodeURIComponent(email)}`);
      assert.equal(outbox.status, 200);
      assert.equal(outbox.body.data.length, 1);
      const [mail] = outbox.body.data;
      assert.equal(mail.to, email);
      const code = /\b(\d{6})\b/.exec(mail.text)![1];
      const dir = path.join(t.database.dataDir, 'outbox');
      assert.ok(existsSync(dir) && readdirSync(dir).length === 1, 'kept as a file under the data dir');
      const verify = await t.request('POST', '/api/v1/agent/verify', { body: { email, otp_code: code } });
      assert.equal(verify.status, 200);
    } finally {
      await t.close();
    }
  });

  it('threat: codes read remotely — the outbox answers only to this machine (the socket peer), not to other hosts', async (c) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!external) return c.skip('no non-loopback address on this machine');
    // The external address is even a trusted proxy here: its X-Forwarded-For still does not make it local.
    const t = await startTestServer({ SMTP_URL: '', HOST: '0.0.0.0', FUNCSPEC_TRUST_PROXY: external });
    try {
      const port = new URL(t.url).port;
      const remote = await fetch(`http://${external}:${port}/dev/outbox`);
      assert.equal(remote.status, 404);
      const spoofed = await fetch(`http://${external}:${port}/dev/outbox`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
      assert.equal(spoofed.status, 404, 'a forwarded loopback address is not this machine');
      assert.equal((await fetch(`http://127.0.0.1:${port}/dev/outbox`)).status, 200);
    } finally {
      await t.close();
    }
  });

  it('does not exist when mail goes through SMTP', async () => {
    const t = await startTestServer();
    try {
      const reply = await t.request('GET', '/dev/outbox');
      assert.equal(reply.status, 404);
      assert.equal(reply.body.error_code, 'NOT_FOUND');
    } finally {
      await t.close();
    }
  });
});

describe('security review: the dev outbox behind a proxy', () => {
  it('threat: a reverse proxy on the same host relays internet clients from a loopback address — any sign of a proxy hides the outbox', async () => {
    const t = await startTestServer({ SMTP_URL: '' });
    try {
      assert.equal((await t.request('GET', '/dev/outbox')).status, 200, 'a direct local client reads it');
      for (const headers of (<Array<Record<string, string>>>[
        { 'x-forwarded-for': '203.0.113.9' },
        { forwarded: 'for=203.0.113.9;proto=https' },
        { 'x-real-ip': '203.0.113.9' },
        { 'x-forwarded-host': 'specs.example.com' },
        { via: '1.1 proxy' },
      ]) as Array<Record<string, string>>) {
        const relayed = await t.request('GET', '/dev/outbox', { headers });
        assert.equal(relayed.status, 404, `refused with ${JSON.stringify(headers)}`);
        assert.equal(relayed.body.error_code, 'NOT_FOUND');
      }
    } finally {
      await t.close();
    }
  });

  it('threat: a proxy that adds no header — a loopback peer listed in FUNCSPEC_TRUST_PROXY is a proxy, not this machine', async () => {
    const t = await startTestServer({ SMTP_URL: '', FUNCSPEC_TRUST_PROXY: '127.0.0.1,::1' });
    try {
      assert.equal((await t.request('GET', '/dev/outbox')).status, 404);
    } finally {
      await t.close();
    }
  });

  it('threat: a deployment people reach from elsewhere — with a PUBLIC_URL that is not this machine the outbox is off unless FUNCSPEC_DEV_OUTBOX=on', async () => {
    const off = await startTestServer({ SMTP_URL: '', PUBLIC_URL: 'https://specs.example.com' });
    try {
      const email = uniqueEmail('public');
      assert.equal((await off.request('POST', '/api/v1/agent/sign-up', { body: { email } })).status, 200);
      assert.equal((await off.request('GET', '/dev/outbox')).status, 404);
      assert.equal(readdirSync(path.join(off.database.dataDir, 'outbox')).length, 1, 'the mail is still kept on disk for the operator');
    } finally {
      await off.close();
    }
    const on = await startTestServer({ SMTP_URL: '', PUBLIC_URL: 'https://specs.example.com', FUNCSPEC_DEV_OUTBOX: 'on' });
    try {
      assert.equal((await on.request('GET', '/dev/outbox')).status, 200);
    } finally {
      await on.close();
    }
    const forcedOff = await startTestServer({ SMTP_URL: '', FUNCSPEC_DEV_OUTBOX: 'off' });
    try {
      assert.equal((await forcedOff.request('GET', '/dev/outbox')).status, 404);
    } finally {
      await forcedOff.close();
    }
  });
});
