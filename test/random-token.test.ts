import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomToken } from '../src/lib/random.js';

describe('tokens in links and cookies', () => {
  it('are base62 with at least the asked entropy, so none ever starts with "-" (read as a CLI option) or holds "_"', () => {
    const tokens = Array.from({ length: 5_000 }, () => randomToken(32));
    for (const token of tokens) assert.match(token, /^[0-9A-Za-z]{43}$/); // 43 × log2(62) ≈ 256.0 bits
    assert.equal(new Set(tokens).size, tokens.length);
    assert.match(randomToken(12), /^[0-9A-Za-z]{17}$/);
  });
});
