/**
 * A Bloom filter over the SHA-256 hashes of every stored key: "certainly not a key" answers cost no
 * database read, so a stream of random well-formed keys never reaches the database.
 * The hashes are already uniform, so the k bit positions come straight from their bits (double hashing)
 * instead of rehashing; that is all a Bloom filter needs, in a few lines.
 */
export class KeyHashFilter {
  private readonly bits: Uint8Array;
  private readonly size: number;
  private readonly probes: number;
  count = 0;

  /** Sized for `capacity` hashes at about 1 false positive in 10,000 (19.2 bits and 13 probes per hash). */
  constructor(readonly capacity: number) {
    this.size = Math.max(1024, Math.ceil(capacity * 19.2));
    this.probes = 13;
    this.bits = new Uint8Array(Math.ceil(this.size / 8));
  }

  add(hashHex: string): void {
    this.forEachBit(hashHex, (index) => {
      this.bits[index >>> 3]! |= 1 << (index & 7);
      return true;
    });
    this.count += 1;
  }

  mightContain(hashHex: string): boolean {
    return this.forEachBit(hashHex, (index) => (this.bits[index >>> 3]! & (1 << (index & 7))) !== 0);
  }

  get full(): boolean {
    return this.count > this.capacity;
  }

  /** Calls `visit` for each probe position until it returns false; true when every visit returned true. */
  private forEachBit(hashHex: string, visit: (index: number) => boolean): boolean {
    const h1 = parseInt(hashHex.slice(0, 8), 16);
    const h2 = parseInt(hashHex.slice(8, 16), 16) | 1;
    for (let i = 0; i < this.probes; i++) {
      const index = ((h1 + Math.imul(i, h2)) >>> 0) % this.size;
      if (!visit(index)) return false;
    }
    return true;
  }
}
