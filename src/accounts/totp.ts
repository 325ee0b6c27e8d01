import { randomInt } from 'node:crypto';
import { Secret, TOTP, URI } from 'otpauth';
import type { AppContext } from '../context.js';
import type { Executor } from '../db/index.js';
import { throttle } from '../ratelimit/throttles.js';
import { newId } from '../lib/random.js';

/** What authenticator apps expect by default (and what §4 promises): SHA1, 6 digits, 30 s steps. */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_ISSUER = 'FuncSpec';
export const RECOVERY_CODE_COUNT = 10;

export interface TotpCheck {
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
  digits?: number;
  periodSeconds?: number;
  /** Steps accepted either side of the current one (clock drift). */
  window?: number;
}

/**
 * The RFC 6238 check: the time step whose code `code` is, within ±window steps of `timestampMs`,
 * or null. The caller refuses a step at or before the last one it accepted (no replay).
 */
export function matchTotp(secret: Uint8Array, code: string, timestampMs: number, options: TotpCheck = {}): number | null {
  const digits = options.digits ?? TOTP_DIGITS;
  const period = options.periodSeconds ?? TOTP_PERIOD_SECONDS;
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return null;
  const delta = TOTP.validate({
    token: code,
    secret: new Secret({ buffer: copyBuffer(secret) }),
    algorithm: options.algorithm ?? TOTP_ALGORITHM,
    digits,
    period,
    timestamp: timestampMs,
    window: options.window ?? 1,
  });
  if (delta === null) return null;
  return TOTP.counter({ period, timestamp: timestampMs }) + delta;
}

function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/** A fresh 160-bit seed (RFC 4226's recommended length) from the platform CSPRNG, base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function otpauthUri(secretBase32: string, email: string): string {
  return URI.stringify(
    new TOTP({
      issuer: TOTP_ISSUER,
      label: email,
      secret: Secret.fromBase32(secretBase32),
      algorithm: TOTP_ALGORITHM,
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_SECONDS,
    }),
  );
}

/** The enrolment QR code as a `data:image/png;base64,…` URL for the web app. */
export async function qrDataUrl(uri: string): Promise<string> {
  const QRCode = (await import('qrcode')).default; // only for enrolment: not held by every idle process
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
}

const RECOVERY_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz'; // no 0/o, 1/l/i

/** Ten one-time codes like `k7m2q-9xw4d` (about 49 bits each). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let raw = '';
    for (let i = 0; i < 10; i++) raw += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}

/** Case, blanks and hyphens do not matter when a recovery code is typed back. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

export function recoveryCodeDigest(ctx: AppContext, userId: string, code: string): string {
  return ctx.secrets.hmac('recovery-code', `${userId}\n${normalizeRecoveryCode(code)}`);
}

export function isTotpShaped(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ''));
}

function secretBytes(ctx: AppContext, sealed: string | null): Uint8Array | null {
  if (!sealed) return null;
  const base32 = ctx.secrets.unseal(sealed);
  return base32 ? new Uint8Array(Secret.fromBase32(base32).buffer) : null;
}

export async function isTotpEnabled(db: Executor, userId: string): Promise<boolean> {
  const row = await db.selectFrom('user_totp').select('enabled_at').where('user_id', '=', userId).executeTakeFirst();
  return row?.enabled_at != null;
}

/**
 * Checks a TOTP code against the user's active seed and consumes its time step in one guarded
 * UPDATE: of several concurrent submissions of one code exactly one wins, and a code (or an older
 * one) is never accepted twice.
 */
export async function consumeTotpCode(ctx: AppContext, db: Executor, userId: string, code: string): Promise<boolean> {
  const row = await db.selectFrom('user_totp').select(['secret_sealed', 'enabled_at']).where('user_id', '=', userId).executeTakeFirst();
  if (!row || row.enabled_at === null) return false;
  const secret = secretBytes(ctx, row.secret_sealed);
  if (!secret) return false;
  const step = matchTotp(secret, code.replace(/\s/g, ''), ctx.clock.now());
  if (step === null) return false;
  const won = await db
    .updateTable('user_totp')
    .set({ last_used_step: step, updated_at: ctx.clock.now() })
    .where('user_id', '=', userId)
    .where('enabled_at', 'is not', null)
    .where('secret_sealed', '=', row.secret_sealed!)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .returning('user_id')
    .executeTakeFirst();
  return won !== undefined;
}

/** Marks one unused recovery code used (one guarded UPDATE, so it works exactly once). */
export async function consumeRecoveryCode(ctx: AppContext, db: Executor, userId: string, code: string): Promise<boolean> {
  const used = await db
    .updateTable('recovery_codes')
    .set({ used_at: ctx.clock.now() })
    .where('user_id', '=', userId)
    .where('code_hash', '=', recoveryCodeDigest(ctx, userId, code))
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return used !== undefined;
}

/** A TOTP code, or (when `allowRecovery`) an unused recovery code. */
export async function consumeSecondFactor(
  ctx: AppContext,
  db: Executor,
  userId: string,
  code: string,
  allowRecovery: boolean,
): Promise<'totp' | 'recovery' | null> {
  if (isTotpShaped(code)) return (await consumeTotpCode(ctx, db, userId, code)) ? 'totp' : null;
  if (allowRecovery && (await consumeRecoveryCode(ctx, db, userId, code))) return 'recovery';
  return null;
}

/** Counts one second-factor guess against the account; 429 once the window's allowance is spent. */
export async function countTwoFactorGuess(ctx: AppContext, userId: string): Promise<void> {
  await throttle(ctx, '2fa:user', userId);
}

/** Replaces the user's recovery codes with a new set; returns the codes in clear, to be shown once. */
export async function replaceRecoveryCodes(ctx: AppContext, db: Executor, userId: string, now: number): Promise<string[]> {
  const codes = newRecoveryCodes();
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('recovery_codes')
    .values(codes.map((code) => ({ id: newId('rec'), user_id: userId, code_hash: recoveryCodeDigest(ctx, userId, code), created_at: now, used_at: null })))
    .execute();
  return codes;
}
