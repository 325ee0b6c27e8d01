/** The same key with its last checksum character changed: the right shape, a checksum that fails. */
export function brokenChecksum(key: string): string {
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}
