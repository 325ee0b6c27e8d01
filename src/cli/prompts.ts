import * as clack from '@clack/prompts';
import { CliError, EXIT, UsageError } from './errors.js';

/** Prompts draw on stderr, so that stdout carries only results. */
const io = { output: process.stderr };

/** True when a person can answer: stdin and stderr are both terminals. */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

function answered<T>(value: T | symbol): Exclude<T, symbol> {
  if (clack.isCancel(value)) throw new CliError('cancelled; nothing was changed', EXIT.OTHER);
  return value as Exclude<T, symbol>;
}

export async function choose<T>(message: string, options: { value: T; label: string; hint?: string }[]): Promise<T> {
  return answered(await clack.select<T>({ message, options: options as never, ...io })) as T;
}

export async function ask(message: string, validate?: (value: string) => string | undefined): Promise<string> {
  return answered(await clack.text({ message, validate: validate ? (v) => validate(v ?? '') : undefined, ...io })).trim();
}

export async function secret(message: string, validate?: (value: string) => string | undefined): Promise<string> {
  return answered(await clack.password({ message, validate: validate ? (v) => validate(v ?? '') : undefined, ...io }));
}

export function say(message: string): void {
  clack.log.message(message, io);
}

/** Asks before a destructive act; `--yes` skips the question, and without a terminal `--yes` is required. */
export async function confirmOrAbort(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!interactive()) throw new UsageError(`${question.replace(/\?$/, '')}: refusing without --yes when not run in a terminal`);
  const ok = answered(await clack.confirm({ message: question, initialValue: false, ...io }));
  if (!ok) throw new CliError('aborted; nothing was changed', EXIT.OTHER);
}
