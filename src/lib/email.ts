import { z } from 'zod';

/** E-mail addresses are compared case-insensitively and without surrounding blanks. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Deliberately plain: one @, no blanks, a dot in the domain, RFC 5321 length limits.
const EMAIL_PATTERN = /^[^\s@"<>()[\],;:\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

// Control and format characters (bidi overrides, zero-width joiners…) make an address read differently
// from what it is, in mails, logs and lists: an address never needs them.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

export const EmailSchema = z
  .string()
  .max(254, 'must be at most 254 characters')
  .transform((value) => normalizeEmail(value))
  .refine((value) => !INVISIBLE_OR_CONTROL.test(value), 'must not contain control, bidi or other invisible characters')
  .refine((value) => EMAIL_PATTERN.test(value), 'must be a valid e-mail address')
  .meta({ format: 'email', example: 'founder@example.com' });
