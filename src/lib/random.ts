import { randomBytes, randomInt } from 'node:crypto';
import { monotonicFactory } from 'ulid';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters of CSPRNG output over base62, without modulo bias (rejection sampling). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62]; // 248 = 4 * 62: keep only unbiased bytes
      if (out.length === length) break;
    }
  }
  return out;
}

const nextUlid = monotonicFactory();

/**
 * Opaque, prefixed identifiers (`usr_…`, `org_…`) that sort in creation order: a ULID (48-bit time,
 * 80 random bits, incremented within one millisecond), so two rows made in the same millisecond still
 * have a stable order. Crockford base32 is digits and capitals only, so byte order and every database
 * collation agree.
 */
export function newId(prefix: string): string {
  return `${prefix}_${nextUlid()}`;
}

/** A numeric code of `count` digits from the CSPRNG (uniform per digit), leading zeros kept. */
export function randomDigits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(randomInt(10));
  return out;
}

/**
 * A token with at least `bytes` bytes of entropy, in base62 (43 characters for 32 bytes). No `-` or `_`:
 * a token pasted on a command line never reads as an option, and a double-click selects all of it.
 */
export function randomToken(bytes = 32): string {
  return randomBase62(Math.ceil((bytes * 8) / Math.log2(62)));
}
