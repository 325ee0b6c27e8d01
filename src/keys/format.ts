import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BASE62, randomBase62 } from '../lib/random.js';

export type KeyEnv = 'live' | 'test';

const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = /^fs_(live|test)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

/** CRC-32 (IEEE, as zlib) of the body's ASCII, in base62 (0-9A-Za-z), most significant digit first, padded to 6. */
export function keyChecksum(body: string): string {
  let value = crc32(body); // the body is ASCII, so its UTF-8 is its ASCII
  let digits = '';
  do {
    digits = BASE62[value % 62] + digits;
    value = Math.floor(value / 62);
  } while (value > 0);
  return digits.padStart(CHECKSUM_LENGTH, '0');
}

/** A new key: `fs_<env>_` + 32 base62 CSPRNG characters + 6 checksum characters (46 in all). */
export function generateKey(env: KeyEnv): string {
  const body = randomBase62(BODY_LENGTH);
  return `fs_${env}_${body}${keyChecksum(body)}`;
}

/** True when the key has the right shape and its checksum holds: decided without any storage. */
export function isWellFormedKey(key: string): boolean {
  const match = KEY_PATTERN.exec(key);
  return match !== null && keyChecksum(match[2]!) === match[3];
}

/** What is stored instead of the key: its SHA-256. The key carries ~190 random bits, so no salt or slow hash is needed. */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex'); // one-shot: no Hash object on the hot path
}

export function lastFour(key: string): string {
  return key.slice(-4);
}

/** How a key is shown after creation, e.g. `fs_live_…abcd`. */
export function maskKey(key: string): string {
  return `${key.slice(0, 8)}…${lastFour(key)}`;
}
