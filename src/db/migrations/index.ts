import type { Migration } from 'kysely';
import * as foundation from './20261201_0001_foundation.js';
import * as keyUsage from './20261201_0100_key_usage.js';
import * as accounts from './20261203_0001_accounts.js';
import * as orgsProjects from './20261205_0004_orgs_projects.js';
import * as signupBinding from './20261206_0001_signup_binding.js';
import * as cacheStamps from './20261207_0001_cache_stamps.js';
import * as keyHygiene from './20261210_0001_key_hygiene.js';
import * as keyScopes from './20261215_0001_key_scopes.js';
import * as passkeys from './20261216_0001_passkeys.js';

/** Every migration, by name; they run in name order. Add new ones with a later date prefix. */
export const migrations: Record<string, Migration> = {
  '20261201_0001_foundation': foundation,
  '20261201_0100_key_usage': keyUsage,
  '20261203_0001_accounts': accounts,
  '20261205_0004_orgs_projects': orgsProjects,
  '20261206_0001_signup_binding': signupBinding,
  '20261207_0001_cache_stamps': cacheStamps,
  '20261210_0001_key_hygiene': keyHygiene,
  '20261215_0001_key_scopes': keyScopes,
  '20261216_0001_passkeys': passkeys,
};
