import { Algorithm, hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { z } from 'zod';
import { randomToken } from '../lib/random.js';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first recommended setting:
 * m = 19 MiB, t = 2, p = 1. @node-rs/argon2 computes it on the libuv thread pool, off the event loop.
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

// The common-password list of zxcvbn-ts (about 49,000 entries from breach corpora), loaded once.
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  return common;
}

/**
 * True when the password is on the list of common and breached passwords, or is little more than the
 * user's own e-mail address. Case does not make a listed password safe ("Password1" is as weak as "password1").
 */
export function isWeakPassword(password: string, email?: string): boolean {
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return true;
  if (new Set(lower).size < 3) return true; // "aaaaaaaa", "abababab"
  if (email) {
    const local = email.split('@')[0]!.toLowerCase();
    if (lower === email.toLowerCase() || (local.length >= 4 && lower.replace(/[^\p{L}\p{N}]/gu, '') === local.replace(/[^\p{L}\p{N}]/gu, ''))) return true;
  }
  return false;
}

export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** Constant-work check: a malformed stored hash counts as a mismatch, never as an error. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

// A hash of a random password with the same parameters: unknown e-mails are checked against it,
// so "no such user" costs the same time as "wrong password".
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hash(randomToken(24), ARGON2_OPTIONS);
  return dummy;
}

/** Burns one password check's worth of time, for callers that have no account to check. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(await dummyHash(), password);
  return false;
}
