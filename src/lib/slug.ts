import { z } from 'zod';
import { randomBase62 } from './random.js';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

export const SlugSchema = z.string().regex(SLUG_PATTERN, 'must be 1-48 lower-case letters, digits or hyphens, not starting or ending with a hyphen');

/** A slug from free text, e.g. `Acme, Inc.` → `acme-inc`; falls back to `org` when nothing is left. */
export function slugify(text: string): string {
  const base = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return base || 'org';
}

/** A slug that is very unlikely to be taken: the base plus a short random suffix. */
export function uniqueSlug(text: string): string {
  return `${slugify(text)}-${randomBase62(6).toLowerCase()}`;
}
