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

const KEY_LENGTH = 46;
/** A key's shape inside any text: not glued to more letters or digits on either side. */
const KEY_IN_TEXT = /(?<![0-9A-Za-z])fs_(?:live|test)_[0-9A-Za-z]{38}(?![0-9A-Za-z])/g;

/** A key found in a stream of bytes, with its 1-based line. */
export interface FoundKey {
  key: string;
  line: number;
}

/**
 * Finds checksum-valid keys in bytes fed in chunks of any size (a file read piece by piece, or a whole
 * git blob). Keys are ASCII, so the bytes are read as Latin-1: any encoding, even a binary, is scanned
 * as it is. A key that spans two chunks is found once; the checksum drops look-alikes without any I/O.
 */
export class KeyFinder {
  /** The undecided tail of the bytes fed so far (a key may start in it), and the absolute offset of its start. */
  private tail: Buffer = Buffer.alloc(0);
  private tailStart = 0;
  /** A key starting before this absolute offset was decided in an earlier chunk. */
  private decidedFrom = 0;
  /** Lines counted up to this absolute offset. */
  private countedTo = 0;
  private line = 1;

  /** Feed the next chunk (`last` for the final one); returns the keys decided in it, in order. */
  feed(chunk: Buffer, last = false): FoundKey[] {
    const view = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const start = this.tailStart;
    const end = start + view.length;
    const found: FoundKey[] = [];
    // Before this offset every key is decided: the character after it has been seen (or the bytes ended).
    const decidedEnd = last ? end : end - 1;
    if (view.includes('fs_')) {
      const text = view.toString('latin1');
      KEY_IN_TEXT.lastIndex = 0;
      for (let match = KEY_IN_TEXT.exec(text); match; match = KEY_IN_TEXT.exec(text)) {
        const at = start + match.index;
        if (at < this.decidedFrom || at + KEY_LENGTH > decidedEnd) continue; // decided in an earlier chunk / in the next one
        if (!isWellFormedKey(match[0])) continue;
        this.countLines(view, start, at);
        found.push({ key: match[0], line: this.line });
      }
    }
    // Keep what a key still undecided could span, with the character before it.
    const keep = last ? 0 : Math.min(view.length, KEY_LENGTH + 1);
    this.countLines(view, start, end - keep);
    this.tail = Buffer.from(view.subarray(view.length - keep));
    this.tailStart = end - keep;
    this.decidedFrom = decidedEnd - KEY_LENGTH + 1;
    return found;
  }

  /** Moves the line count up to absolute offset `to` (the view starts at `start`). */
  private countLines(view: Buffer, start: number, to: number): void {
    for (let at = view.indexOf(10, this.countedTo - start); at !== -1 && start + at < to; at = view.indexOf(10, at + 1)) this.line += 1;
    this.countedTo = Math.max(this.countedTo, to);
  }
}

/** The checksum-valid keys in a whole buffer. */
export function findKeys(bytes: Buffer): FoundKey[] {
  return new KeyFinder().feed(bytes, true);
}
