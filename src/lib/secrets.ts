import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Everything derived from FUNCSPEC_SECRET: HMACs for short codes and tokens, and sealing of the
 * few secrets the server must be able to give back (agent keys). Each use gets its own sub-key.
 */
export interface Secrets {
  /** HMAC-SHA256 (hex) of `value` under the sub-key for `purpose`. */
  hmac(purpose: string, value: string): string;
  /** AES-256-GCM; the result is self-describing (`v1.iv.ciphertext.tag`). */
  seal(plaintext: string): string;
  /** Null when the box was not sealed by this secret or was tampered with. */
  unseal(box: string): string | null;
}

export function createSecrets(secret: string): Secrets {
  const subKey = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, 'funcspec', purpose, 32));
  const hmacKeys = new Map<string, Buffer>();
  const sealKey = subKey('seal:v1');

  return {
    hmac(purpose, value) {
      let key = hmacKeys.get(purpose);
      if (!key) hmacKeys.set(purpose, (key = subKey(`hmac:${purpose}`)));
      return createHmac('sha256', key).update(value).digest('hex');
    },
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    unseal(box) {
      const [version, iv, body, tag] = box.split('.');
      if (version !== 'v1' || !iv || body === undefined || !tag) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealKey, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}

/** Constant-time equality of two hex digests (or any two strings of equal meaning). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The explicit secret, or the one generated on first start into `<dataDir>/secret` (mode 0600).
 * Generating is only allowed for the embedded database; config.ts insists on an explicit one otherwise.
 */
export function resolveSecret(explicit: string | null, dataDir: string): string {
  if (explicit) return explicit;
  const file = path.join(dataDir, 'secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const generated = randomBytes(32).toString('hex');
  try {
    writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process won the race: use its secret.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
  chmodSync(file, 0o600);
  return generated;
}
