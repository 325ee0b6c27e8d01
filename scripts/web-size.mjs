#!/usr/bin/env node
// After `vite build`: how much JavaScript the first page (the sign-in page, at /) makes the browser load,
// gzipped, from Vite's manifest: the entry chunk and every chunk it imports statically. Every other page
// is a dynamic import, loaded on demand. Fails the build past the budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const WEB_OUT = 'dist/public';
export const FIRST_PAGE_BUDGET_BYTES = 150 * 1024;

/** { files, gzipBytes, lazyChunks } of the first page, read from the build in `root`. */
export function firstPageWeight(root = WEB_OUT) {
  const manifest = JSON.parse(readFileSync(path.join(root, '.vite/manifest.json'), 'utf8'));
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
  if (!entry) throw new Error(`no entry chunk in ${root}/.vite/manifest.json`);
  const files = new Set();
  const visit = (chunk) => {
    if (files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const key of chunk.imports ?? []) visit(manifest[key]);
  };
  visit(entry);
  const gzipBytes = [...files].reduce((sum, file) => sum + gzipSync(readFileSync(path.join(root, file)), { level: 9 }).length, 0);
  const lazyChunks = Object.values(manifest).filter((chunk) => chunk.file.endsWith('.js') && !files.has(chunk.file)).length;
  return { files: [...files], gzipBytes, lazyChunks };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, gzipBytes, lazyChunks } = firstPageWeight();
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(
    `web app: the sign-in page loads ${kb(gzipBytes)} of JavaScript gzipped (${files.length} file${files.length === 1 ? '' : 's'}; budget ${kb(FIRST_PAGE_BUDGET_BYTES)}); ${lazyChunks} more chunks load on demand`,
  );
  if (gzipBytes > FIRST_PAGE_BUDGET_BYTES) {
    console.error('the sign-in page is over its JavaScript budget: move code behind a dynamic import');
    process.exit(1);
  }
}
