import { spawn } from 'node:child_process';
import { lstat, open, opendir } from 'node:fs/promises';
import path from 'node:path';
import { findKeys, KeyFinder, type FoundKey } from '../keys/format.js';
import { UsageError } from './errors.js';

/** A key found in a file of the working tree, or in a blob of the git history (with the commit that added it). */
export interface Finding {
  file: string;
  line: number;
  key: string;
  commit?: string;
}

export interface ScanStats {
  files: number;
  bytes: number;
  /** Files that could not be read (permissions, vanished while scanning): named on stderr, not fatal. */
  unreadable: string[];
}

const CHUNK_BYTES = 4 << 20;
/** Files read at once: enough to keep the disk and libuv's threads busy, few enough to bound memory. */
const PARALLEL_READS = 8;

/** Every regular file under `root` (or `root` itself), without following symbolic links, leaving out `.git`. */
async function* walk(root: string): AsyncGenerator<string> {
  const stat = await lstat(root).catch(() => null);
  if (!stat) throw new UsageError(`${root}: no such file or directory`);
  if (stat.isFile()) {
    yield root;
    return;
  }
  if (!stat.isDirectory()) return;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries: Awaited<ReturnType<typeof opendir>>;
    try {
      entries = await opendir(dir, { bufferSize: 256 });
    } catch {
      continue; // unreadable directory: nothing below it can be read either
    }
    for await (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') pending.push(full);
      } else if (entry.isFile()) {
        yield full;
      }
    }
  }
}

/** The keys in one file, read in chunks so a file of any size costs bounded memory. */
async function scanFile(file: string, stats: ScanStats): Promise<Finding[]> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch {
    stats.unreadable.push(file);
    return [];
  }
  try {
    const finder = new KeyFinder();
    const found: FoundKey[] = [];
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      stats.bytes += bytesRead;
      found.push(...finder.feed(buffer.subarray(0, bytesRead), bytesRead === 0));
      if (bytesRead === 0) break;
    }
    stats.files += 1;
    return found.map(({ key, line }) => ({ file, line, key }));
  } catch {
    stats.unreadable.push(file);
    return [];
  } finally {
    await handle.close();
  }
}

/** Every key with a valid checksum in the files under `roots`, in path order. */
export async function scanTree(roots: string[], stats: ScanStats): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const root of roots) {
    const files = walk(root);
    const worker = async () => {
      for (let next = await files.next(); !next.done; next = await files.next()) findings.push(...(await scanFile(next.value, stats)));
    };
    await Promise.all(Array.from({ length: PARALLEL_READS }, worker));
  }
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Runs git in `dir`; resolves with stdout, or fails with git's own complaint. */
function git(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', (error) => reject(new UsageError(`cannot run git: ${error.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new UsageError(`git in ${dir}: ${err.trim() || `exit ${code}`}`)),
    );
  });
}

/** The top of the repository `dir` is in. */
export async function repositoryOf(dir: string): Promise<string> {
  const stat = await lstat(dir).catch(() => null);
  if (!stat) throw new UsageError(`${dir}: no such file or directory`);
  return (await git(stat.isDirectory() ? dir : path.dirname(dir), ['rev-parse', '--show-toplevel'])).trim();
}

/**
 * Streams `git cat-file --batch` for `ids`, calling `onObject` with each object's id, type and bytes.
 * One git process for the whole history, no temporary files.
 */
function catFile(repo: string, ids: string[], onObject: (id: string, type: string, bytes: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Output arrives in pieces of any size: gathered, and joined once an object is whole (a large blob is
    // not copied again with every piece).
    let pieces: Buffer[] = [];
    let have = 0;
    const joined = (): Buffer => {
      const all = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      pieces = [all];
      return all;
    };
    const keep = (rest: Buffer) => {
      pieces = [rest];
      have = rest.length;
    };
    let header: { id: string; type: string; size: number } | null = null;
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pieces.push(chunk);
      have += chunk.length;
      for (;;) {
        if (!header) {
          const all = joined();
          const newline = all.indexOf(10);
          if (newline === -1) return;
          const [id, type, size] = all.subarray(0, newline).toString('utf8').split(' ');
          keep(all.subarray(newline + 1));
          if (type === 'missing' || size === undefined) continue;
          header = { id: id!, type: type!, size: Number(size) };
        }
        if (have < header.size + 1) return; // the object and its closing newline are not all here yet
        const all = joined();
        onObject(header.id, header.type, all.subarray(0, header.size));
        keep(all.subarray(header.size + 1));
        header = null;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', (error) => reject(new UsageError(`cannot run git: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new UsageError(`git cat-file in ${repo}: ${err.trim() || `exit ${code}`}`))));
    child.stdin.end(ids.map((id) => `${id}\n`).join(''));
  });
}

/**
 * Every key in every blob reachable from any ref of the repository (branches, tags, stash), each with the
 * path it was first seen at and the oldest commit that added it. Each blob is read once, however many
 * commits share it.
 */
export async function scanHistory(repo: string, stats: ScanStats): Promise<Finding[]> {
  const listing = await git(repo, ['rev-list', '--all', '--objects']);
  const pathOf = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && space < line.length - 1) pathOf.set(line.slice(0, space), line.slice(space + 1));
  }
  const hits: Array<{ blob: string; found: FoundKey }> = [];
  await catFile(repo, [...pathOf.keys()], (id, type, bytes) => {
    if (type !== 'blob') return;
    stats.bytes += bytes.length;
    stats.files += 1;
    for (const found of findKeys(bytes)) hits.push({ blob: id, found });
  });
  const commitOf = new Map<string, string>();
  for (const blob of new Set(hits.map((hit) => hit.blob))) {
    const commits = (await git(repo, ['log', '--all', '--reverse', '--format=%H', `--find-object=${blob}`])).split('\n').filter(Boolean);
    commitOf.set(blob, commits[0] ?? '');
  }
  return hits
    .map(({ blob, found }) => ({ file: pathOf.get(blob)!, line: found.line, key: found.key, commit: commitOf.get(blob) || undefined }))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
