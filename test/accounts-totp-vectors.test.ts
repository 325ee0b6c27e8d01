import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchTotp } from '../src/accounts/totp.js';
import { totpAt } from './helpers/accounts.js';

// RFC 6238 Appendix B, the SHA1 rows: seed "12345678901234567890" (ASCII), 30-second steps, 8 digits.
// The 6-digit truncation of the same HOTP value is its last six digits.
const SEED = new TextEncoder().encode('12345678901234567890');
const VECTORS: Array<[seconds: number, eightDigits: string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP check: RFC 6238 test vectors (SHA1 seed)', () => {
  it('accepts every 8-digit vector at its time and reports its time step', () => {
    for (const [seconds, code] of VECTORS) {
      assert.equal(matchTotp(SEED, code, seconds * 1000, { digits: 8, window: 0 }), Math.floor(seconds / 30), `T=${seconds}`);
    }
  });

  it('accepts every 6-digit truncation at its time', () => {
    for (const [seconds, code] of VECTORS) {
      assert.equal(matchTotp(SEED, code.slice(2), seconds * 1000, { digits: 6, window: 0 }), Math.floor(seconds / 30), `T=${seconds}`);
    }
  });

  it('refuses a vector with one digit changed, the wrong length, or non-digits', () => {
    for (const [seconds, code] of VECTORS) {
      const changed = code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
      assert.equal(matchTotp(SEED, changed, seconds * 1000, { digits: 8 }), null, `T=${seconds}`);
      assert.equal(matchTotp(SEED, code, seconds * 1000, { digits: 6 }), null, '8 digits where 6 are expected');
      assert.equal(matchTotp(SEED, code.slice(2), seconds * 1000, { digits: 8 }), null, '6 digits where 8 are expected');
    }
    assert.equal(matchTotp(SEED, '28708a', 59_000), null);
    assert.equal(matchTotp(SEED, ' 287082', 59_000), null);
  });

  it('accepts one step of drift either way and no more (±30 s)', () => {
    const [seconds, code] = VECTORS[3]!; // T = 1234567890, step 41152263
    const step = Math.floor(seconds / 30);
    assert.equal(matchTotp(SEED, code.slice(2), (seconds + 30) * 1000), step, 'one step late');
    assert.equal(matchTotp(SEED, code.slice(2), (seconds - 30) * 1000), step, 'one step early');
    assert.equal(matchTotp(SEED, code.slice(2), (seconds + 60) * 1000), null, 'two steps late');
    assert.equal(matchTotp(SEED, code.slice(2), (seconds - 60) * 1000), null, 'two steps early');
  });

  it("agrees with the tests' own RFC 6238 generator (used by the HTTP tests) on the vectors", () => {
    const base32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
    for (const [seconds, code] of VECTORS) {
      assert.equal(totpAt(base32, seconds * 1000, 8), code);
      assert.equal(totpAt(base32, seconds * 1000, 6), code.slice(2));
    }
  });
});
