import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Algorithm } from '@node-rs/argon2';
import type { Piscina } from 'piscina';
import { z } from 'zod';
import { randomToken } from '../lib/random.js';
import type { PasswordTask } from './password-worker.js';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first recommended setting:
 * m = 19 MiB, t = 2, p = 1.
 */
export const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** Passwords are compared as Unicode NFKC, so the same password typed on two keyboards is the same password. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Length in characters (code points), not UTF-16 units: an emoji is one character. */
function characters(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** A new password: 8 to 256 characters after NFKC normalisation, any Unicode, never truncated. */
export const NewPasswordSchema = z
  .string()
  .transform(normalizePassword)
  .refine((value) => characters(value) >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .refine((value) => characters(value) <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
  .meta({ format: 'password', minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });

/** A password being checked (login, re-authentication): any non-empty string up to the maximum. */
export const PasswordSchema = z
  .string()
  .transform(normalizePassword)
  .refine((value) => characters(value) >= 1, 'is required')
  .refine((value) => characters(value) <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
  .meta({ format: 'password' });

// The common-password list of zxcvbn-ts (about 49,000 entries from breach corpora), loaded the first time
// a new password is checked: the dictionaries would otherwise hold about 14 MB in every idle process.
let common: Promise<Set<string>> | null = null;
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase())));
  return common;
}

/**
 * True when the password is on the list of common and breached passwords, or is little more than the
 * user's own e-mail address. Case does not make a listed password safe ("Password1" is as weak as "password1").
 */
export async function isWeakPassword(password: string, email?: string): Promise<boolean> {
  const lower = password.toLowerCase();
  if ((await commonPasswords()).has(lower)) return true;
  if (new Set(lower).size < 3) return true; // "aaaaaaaa", "abababab"
  if (email) {
    const local = email.split('@')[0]!.toLowerCase();
    if (lower === email.toLowerCase() || (local.length >= 4 && lower.replace(/[^\p{L}\p{N}]/gu, '') === local.replace(/[^\p{L}\p{N}]/gu, ''))) return true;
  }
  return false;
}

/**
 * Hashing runs in worker threads at a low CPU priority (nice 10: about a tenth of the event loop's weight
 * when both want one core), one per core: a login storm uses the CPU the event loop leaves idle and
 * yields to it at once, so other requests are not starved. (On libuv's thread pool, 4 hashes at normal
 * priority took both cores of a 2-core machine away from it.) Not the lowest priority (19): then any
 * other busy process on the host would starve logins altogether.
 * The pool starts on the first password and its threads exit after 10 idle seconds (each holds its own
 * heap and argon2's 19 MiB), so an idle server holds none.
 */
let pool: Promise<Piscina> | null = null;
function passwordPool(): Promise<Piscina> {
  pool ??= import('piscina').then(({ Piscina }) => {
    const here = fileURLToPath(import.meta.url);
    const worker = path.join(path.dirname(here), `password-worker${path.extname(here)}`); // .ts under tsx, .js built
    return new Piscina({ filename: worker, minThreads: 0, maxThreads: availableParallelism(), idleTimeout: 10_000, niceIncrement: 10 });
  });
  return pool;
}

async function runPasswordTask<T extends string | boolean>(task: PasswordTask): Promise<T> {
  return (await passwordPool()).run(task) as Promise<T>;
}

export async function hashPassword(password: string): Promise<string> {
  return runPasswordTask({ op: 'hash', password, options: ARGON2_OPTIONS });
}

/** Constant-work check: a malformed stored hash counts as a mismatch, never as an error. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  return runPasswordTask({ op: 'verify', stored, password });
}

// A hash of a random password with the same parameters: unknown e-mails are checked against it,
// so "no such user" costs the same time as "wrong password".
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomToken(24));
  return dummy;
}

/** Burns one password check's worth of time, for callers that have no account to check. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(await dummyHash(), password);
  return false;
}
