import { z } from 'zod';

/** E-mail addresses are compared case-insensitively and without surrounding blanks. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Deliberately plain: one @, no blanks, a dot in the domain, RFC 5321 length limits.
const EMAIL_PATTERN = /^[^\s@"<>()\[\],;:\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export const EmailSchema = z
  .string()
  .max(254, 'must be at most 254 characters')
  .transform((value) => normalizeEmail(value))
  .refine((value) => EMAIL_PATTERN.test(value), 'must be a valid e-mail address')
  .meta({ format: 'email', example: 'founder@example.com' });
