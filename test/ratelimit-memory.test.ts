import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLimiter } from '../src/ratelimit/memory.js';
import { TestClock } from './helpers/server.js';

describe('security review: the in-process limiter is bounded', () => {
  it('threat: unbounded limiter table — a flood of fresh keys (IPs, addresses) cannot grow it past FUNCSPEC_LIMITER_MAX_KEYS; when full it fails closed and forgets no live counter', async () => {
    const clock = new TestClock();
    clock.freeze();
    const limiter = new MemoryLimiter(clock, 3);
    try {
      for (const key of ['a', 'b', 'c']) assert.equal((await limiter.hit(key, 2, 60_000)).allowed, true);
      const flood = await Promise.all(Array.from({ length: 1000 }, (_, i) => limiter.hit(`spray-${i}`, 1000, 60_000)));
      assert.equal(flood.filter((d) => d.allowed).length, 0, 'every new counter is refused while the table is full');
      assert.ok(
        flood.every((d) => d.resetAt > clock.now()),
        'with a time to retry',
      );
      // The live counters were not evicted: their counts go on.
      assert.deepEqual([(await limiter.hit('a', 2, 60_000)).allowed, (await limiter.hit('a', 2, 60_000)).allowed], [true, false]);
      // Once windows end, their room is given back (at most one full sweep a second).
      clock.advance(60_001);
      assert.equal((await limiter.hit('fresh', 1000, 60_000)).allowed, true);
      assert.equal((await limiter.hit('a', 2, 60_000)).count, 1, 'an ended window starts over');
    } finally {
      await limiter.close();
    }
  });
});
