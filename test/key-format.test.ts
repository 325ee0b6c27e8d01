import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKey, isWellFormedKey, keyChecksum, maskKey } from '../src/keys/format.js';

// Independent base62 of an unsigned 32-bit number, most significant digit first, padded to 6.
function base62(value: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = BigInt(value);
  let out = '';
  while (n > 0n) {
    out = alphabet[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(6, '0');
}

describe('API key format (§3) — pure checks', () => {
  it('checksum is the base62 CRC-32 (IEEE) of the 32 body characters: known vectors', () => {
    // CRC-32("123456789") = 0xCBF43926, the standard check value.
    assert.equal(keyChecksum('123456789'), base62(0xcbf43926));
    assert.equal(crc32Reference('123456789'), 0xcbf43926, 'the reference CRC is right');
    const body = '0'.repeat(32);
    assert.equal(keyChecksum(body), base62(crc32Reference(body)));
    assert.equal(keyChecksum(''), '000000', 'CRC of nothing is 0, padded to 6');
  });

  it('generated keys match ^fs_(live|test)_[0-9A-Za-z]{38}$, are 46 characters, and pass their own checksum', () => {
    for (const env of ['live', 'test'] as const) {
      for (let i = 0; i < 200; i++) {
        const key = generateKey(env);
        assert.match(key, new RegExp(`^fs_${env}_[0-9A-Za-z]{38}$`));
        assert.equal(key.length, 46);
        assert.ok(isWellFormedKey(key));
        assert.equal(key.slice(40), base62(crc32Reference(key.slice(8, 40))));
      }
    }
  });

  it('any single-character change in the body or checksum is caught', () => {
    const key = generateKey('live');
    for (let i = 8; i < 46; i++) {
      const changed = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      assert.equal(isWellFormedKey(changed), false, `position ${i}`);
    }
  });

  it('wrong prefix, length or alphabet is rejected', () => {
    const key = generateKey('live');
    for (const bad of [key.replace('fs_live_', 'fs_prod_'), key.slice(0, 45), `${key}0`, key.replace(/.$/, '-'), '', 'fs_live_']) {
      assert.equal(isWellFormedKey(bad), false, bad);
    }
  });

  it('keys are masked as fs_live_…abcd', () => {
    assert.equal(maskKey('fs_live_0123456789012345678901234567890123abcd'), 'fs_live_…abcd');
  });
});

/** Bitwise CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320): the reference the implementation is checked against. */
function crc32Reference(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'ascii')) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
