#!/usr/bin/env node
// The size rule of docs/architecture.md: no file in src/ over 400 lines, no function over 80 (its own
// lines: a callback or route handler inside it counts for itself). Migrations are exempt from the
// function rule: each is one frozen step of the schema's history, kept as it was run. Reads the sources
// with the TypeScript compiler's parser (no type checking, so it takes a second).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const root = path.resolve(import.meta.dirname, '..', 'src');

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

function nameOf(node, file) {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(file);
  if (parent && ts.isCallExpression(parent)) return `callback of ${parent.expression.getText(file).slice(0, 40)}`;
  return '(anonymous)';
}

const problems = [];
for (const full of sources(root)) {
  const text = readFileSync(full, 'utf8');
  const relative = path.relative(path.dirname(root), full);
  const file = ts.createSourceFile(full, text, ts.ScriptTarget.Latest, true);
  const lines = file.getLineAndCharacterOfPosition(file.getEnd()).line + (text.endsWith('\n') ? 0 : 1);
  if (lines > MAX_FILE_LINES) problems.push(`${relative}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  // A function's own lines: those of the functions nested in it (route handlers, callbacks) are theirs.
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      let length = end - start + 1;
      const subtract = (child) => {
        if (ts.isFunctionLike(child) && 'body' in child && child.body) {
          length -= file.getLineAndCharacterOfPosition(child.getEnd()).line - file.getLineAndCharacterOfPosition(child.getStart(file)).line;
          return;
        }
        ts.forEachChild(child, subtract);
      };
      ts.forEachChild(node.body, subtract);
      if (length > MAX_FUNCTION_LINES && !relative.startsWith('src/db/migrations/'))
        problems.push(`${relative}:${start + 1}: ${nameOf(node, file)} is ${length} lines (at most ${MAX_FUNCTION_LINES})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

if (problems.length > 0) {
  console.error(`Size rule (docs/architecture.md): ${problems.length} place(s) too long\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`size: every file in src/ is at most ${MAX_FILE_LINES} lines and every function at most ${MAX_FUNCTION_LINES}`);
