/**
 * `npm run bench:scan`: how long `funcspec scan` takes over a 100 MB working tree (source-like text with
 * key look-alikes: broken checksums, glued prefixes, random base62), and `funcspec scan --git` over a
 * repository whose history holds the same 100 MB. Each is run 3 times with the real binary; the median
 * goes to bench/results/scan.{json,md}. BENCH_SCAN_MB changes the size.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { generateKey } from '../src/keys/format.js';
import { randomBase62 } from '../src/lib/random.js';
import { BIN } from '../test/helpers/operator.js';

const TOTAL_MB = Number(process.env.BENCH_SCAN_MB ?? 100);
const FILE_KB = 64;
const ROUNDS = 3;
const PLANTED = 5;

/** About `bytes` of text that looks like code, with look-alike keys that a checksum must drop. */
function sourceText(bytes: number, seed: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const kind = (seed + i) % 50;
    const line =
      kind === 0
        ? `const token = "fs_live_${randomBase62(38)}"; // the right shape, a checksum that fails`
        : kind === 1
          ? `  headers["x-api-key"] = "xfs_test_${randomBase62(38)}";`
          : `  const value${i} = compute("${randomBase62(24)}", ${i}) + offset * ${seed}; // step ${i}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function makeTree(root: string): string[] {
  const files = Math.ceil((TOTAL_MB * 1024) / FILE_KB);
  const planted: string[] = [];
  for (let i = 0; i < files; i += 1) {
    const dir = path.join(root, `pkg${i % 40}`, `mod${i % 7}`);
    mkdirSync(dir, { recursive: true });
    let text = sourceText(FILE_KB * 1024, i);
    if (i % Math.floor(files / PLANTED) === 0 && planted.length < PLANTED) {
      const key = generateKey('live');
      planted.push(key);
      text += `export const KEY = '${key}';\n`;
    }
    writeFileSync(path.join(dir, `file${i}.ts`), text);
  }
  return planted;
}

/** Wall time of one `funcspec scan ARGS` run, and its exit code and output line count. */
function timeScan(cwd: string, args: string[]): { ms: number; code: number | null; lines: number } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BIN, 'scan', ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: cwd },
    maxBuffer: 64 << 20,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, code: result.status, lines: result.stdout.split('\n').filter(Boolean).length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const work = mkdtempSync(path.join(tmpdir(), 'funcspec-scan-bench-'));
try {
  const tree = path.join(work, 'tree');
  console.log(`writing a ${TOTAL_MB} MB tree of ${FILE_KB} KB files…`);
  const planted = makeTree(tree);
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', tree, ...args], {
      env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' },
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'all of it');

  const runs: Record<string, Array<{ ms: number; code: number | null; lines: number }>> = { tree: [], git: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    runs.tree!.push(timeScan(work, ['tree']));
    runs.git!.push(timeScan(work, ['--git', 'tree']));
  }
  for (const [name, results] of Object.entries(runs)) {
    const expected = name === 'git' ? planted.length * 2 : planted.length;
    if (results.some((r) => r.code !== 1 || r.lines !== expected))
      throw new Error(`scan ${name}: expected exit 1 and ${expected} findings, got ${JSON.stringify(results)}`);
  }
  const treeMs = median(runs.tree!.map((r) => r.ms));
  const gitMs = median(runs.git!.map((r) => r.ms));
  const report = {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpus: cpus().length,
    megabytes: TOTAL_MB,
    files: Math.ceil((TOTAL_MB * 1024) / FILE_KB),
    planted_keys: planted.length,
    tree_ms: Math.round(treeMs),
    tree_mb_per_s: Math.round(TOTAL_MB / (treeMs / 1000)),
    tree_and_history_ms: Math.round(gitMs),
    runs,
  };
  const md =
    `# funcspec scan (${report.date}, Node ${report.node}, ${report.cpus} cores)\n\n` +
    `A ${TOTAL_MB} MB tree of ${report.files} files of ${FILE_KB} KB (code-like text; one line in 25 a key look-alike whose checksum fails or ` +
    `that is glued to a letter), ${PLANTED} real keys planted, committed once. The real binary, median of ${ROUNDS} runs, wall time from start to exit:\n\n` +
    `| run | time | throughput | found |\n|---|---|---|---|\n` +
    `| \`funcspec scan tree\` | ${(treeMs / 1000).toFixed(2)} s | ${report.tree_mb_per_s} MB/s | ${planted.length} of ${planted.length} |\n` +
    `| \`funcspec scan --git tree\` (the tree, then every blob of the history) | ${(gitMs / 1000).toFixed(2)} s | ${Math.round((2 * TOTAL_MB) / (gitMs / 1000))} MB/s | ${planted.length * 2} (each key in the tree and in the commit) |\n`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/scan.json', `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync('bench/results/scan.md', md);
  console.log(`\n${md}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
