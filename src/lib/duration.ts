const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `30s`, `15m`, `24h`, `30d` into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

const UNIT_WORDS: Array<[number, string]> = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
  [1, 'millisecond'],
];

/** A duration in words, in the largest unit that divides it exactly: `24 hours` → `1 day`, `90m` → `90 minutes`. */
export function describeDuration(ms: number): string {
  const [unit, word] = UNIT_WORDS.find(([size]) => ms % size === 0) ?? UNIT_WORDS[UNIT_WORDS.length - 1]!;
  const count = Math.round(ms / unit);
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
