import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit, type RequestOrigin } from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/index.js';
import { issuingKeys } from '../keys/issue.js';
import { newId, randomToken } from '../lib/random.js';
import { accessOrg } from '../access/orgs.js';
import { throttle } from '../ratelimit/throttles.js';
import { AccountErrors } from './errors.js';

// RFC 8628 §6.1: consonants only (no vowels, so no words), upper case, 8 characters ≈ 34.5 bits.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval; capped so a confused client recovers. */
const SLOW_DOWN_STEP_MS = 5000;
const MAX_INTERVAL_MS = 60_000;

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** `XXXX-XXXX` for people; typed back, case, blanks and hyphens do not matter. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export function normalizeUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return code.length === USER_CODE_LENGTH && [...code].every((c) => USER_CODE_ALPHABET.includes(c)) ? code : null;
}

function userCodeDigest(ctx: AppContext, code: string): string {
  return ctx.secrets.hmac('device-user-code', code);
}

function deviceCodeDigest(ctx: AppContext, code: string): string {
  return ctx.secrets.hmac('device-code', code);
}

/** Starts a CLI login: a device code for the CLI to poll with, a user code for the person to type. */
export async function startDeviceAuthorization(ctx: AppContext, clientName: string, origin: RequestOrigin): Promise<DeviceAuthorization> {
  await throttle(ctx, 'device-code:ip', origin.ip);
  const now = ctx.clock.now();
  // Housekeeping: code pairs a day past their end are of no further use.
  await ctx.db
    .deleteFrom('device_codes')
    .where('expires_at', '<', now - 86_400_000)
    .execute();

  for (let attempt = 0; ; attempt++) {
    const deviceCode = randomToken(32);
    const userCode = newUserCode();
    try {
      await ctx.db
        .insertInto('device_codes')
        .values({
          id: newId('dev'),
          device_code_hash: deviceCodeDigest(ctx, deviceCode),
          user_code_hash: userCodeDigest(ctx, userCode),
          client_name: clientName,
          status: 'pending',
          user_id: null,
          org_id: null,
          interval_ms: ctx.config.devicePollIntervalMs,
          requested_ip: origin.ip,
          created_at: now,
          expires_at: now + ctx.config.deviceCodeTtlMs,
          last_polled_at: null,
          decided_at: null,
          consumed_at: null,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error) && attempt < 5) continue; // a user code already in use: draw again
      throw error;
    }
    const shown = formatUserCode(userCode);
    const verificationUri = `${ctx.config.publicUrl}/device`;
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${shown}`,
      expires_in: Math.floor(ctx.config.deviceCodeTtlMs / 1000),
      interval: Math.ceil(ctx.config.devicePollIntervalMs / 1000),
    };
  }
}

export interface DeviceGrant {
  api_key: string;
  organization: { id: string; name: string; slug: string };
}

/**
 * The CLI's poll. Polls closer together than the interval get SLOW_DOWN (and a longer interval);
 * an approved code is exchanged once, in one transaction that claims it and mints the key.
 */
export async function pollDeviceToken(ctx: AppContext, deviceCode: string, origin: RequestOrigin): Promise<DeviceGrant> {
  const now = ctx.clock.now();
  const row = await ctx.db
    .selectFrom('device_codes')
    .select(['id', 'status', 'expires_at'])
    .where('device_code_hash', '=', deviceCodeDigest(ctx, deviceCode))
    .executeTakeFirst();
  if (!row || row.status === 'consumed' || row.expires_at <= now) throw AccountErrors.EXPIRED_TOKEN();

  const polled = await ctx.db
    .updateTable('device_codes')
    .set({ last_polled_at: now })
    .where('id', '=', row.id)
    .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb(eb('last_polled_at', '+', eb.ref('interval_ms')), '<=', now)]))
    .returning(['status', 'interval_ms'])
    .executeTakeFirst();
  if (!polled) {
    const slowed = await ctx.db
      .updateTable('device_codes')
      .set({
        interval_ms: sql<number>`case when interval_ms + ${SLOW_DOWN_STEP_MS} > ${MAX_INTERVAL_MS} then ${MAX_INTERVAL_MS} else interval_ms + ${SLOW_DOWN_STEP_MS} end`,
      })
      .where('id', '=', row.id)
      .returning('interval_ms')
      .executeTakeFirst();
    const interval = Math.ceil((slowed?.interval_ms ?? MAX_INTERVAL_MS) / 1000);
    throw AccountErrors.SLOW_DOWN({ interval }, { headers: { 'retry-after': String(interval) } });
  }
  const interval = Math.ceil(polled.interval_ms / 1000);
  if (polled.status === 'pending') throw AccountErrors.AUTHORIZATION_PENDING({ interval });
  if (polled.status === 'denied') throw AccountErrors.ACCESS_DENIED();
  if (polled.status !== 'approved') throw AccountErrors.EXPIRED_TOKEN();

  return issuingKeys(ctx, async (trx, issueKey) => {
    const claimed = await trx
      .updateTable('device_codes')
      .set({ status: 'consumed', consumed_at: now })
      .where('id', '=', row.id)
      .where('status', '=', 'approved')
      .where('expires_at', '>', now)
      .returning(['user_id', 'org_id', 'client_name'])
      .executeTakeFirst();
    if (!claimed?.user_id || !claimed.org_id) throw AccountErrors.EXPIRED_TOKEN();
    // The approver must still be an enabled member of the organization they picked.
    const member = await trx
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .innerJoin('organizations as o', 'o.id', 'm.org_id')
      .select(['o.id', 'o.name', 'o.slug', 'u.disabled_at'])
      .where('m.user_id', '=', claimed.user_id)
      .where('m.org_id', '=', claimed.org_id)
      .executeTakeFirst();
    if (!member || member.disabled_at !== null) throw AccountErrors.ACCESS_DENIED();
    const { key } = await issueKey({
      orgId: claimed.org_id,
      userId: claimed.user_id,
      name: `funcspec CLI on ${claimed.client_name}`,
      kind: 'cli',
      by: { userId: claimed.user_id, keyId: null, ip: origin.ip, userAgent: origin.userAgent },
      via: 'device_authorization',
    });
    return { api_key: key, organization: { id: member.id, name: member.name, slug: member.slug } };
  });
}

async function countUserCodeGuess(ctx: AppContext, principal: Principal, origin: RequestOrigin): Promise<void> {
  await throttle(ctx, 'device-approve:ip', origin.ip);
  await throttle(ctx, 'device-approve:user', principal.user.id);
}

export interface DeviceRequest {
  client_name: string;
  requested_ip: string | null;
  requested_at: number;
  expires_at: number;
}

/**
 * What a pending code belongs to, shown before the person decides (RFC 8628 §5.4: a code typed from a
 * phishing message should be recognisable as not theirs). Counts as a code guess, like approve and deny.
 */
export async function inspectDevice(ctx: AppContext, principal: Principal, userCode: string, origin: RequestOrigin): Promise<DeviceRequest> {
  await countUserCodeGuess(ctx, principal, origin);
  const code = normalizeUserCode(userCode);
  if (!code) throw AccountErrors.USER_CODE_INVALID();
  const pending = await ctx.db
    .selectFrom('device_codes')
    .select(['client_name', 'requested_ip', 'created_at', 'expires_at'])
    .where('user_code_hash', '=', userCodeDigest(ctx, code))
    .where('status', '=', 'pending')
    .where('expires_at', '>', ctx.clock.now())
    .executeTakeFirst();
  if (!pending) throw AccountErrors.USER_CODE_INVALID();
  return { client_name: pending.client_name, requested_ip: pending.requested_ip, requested_at: pending.created_at, expires_at: pending.expires_at };
}

/** The signed-in user approves a pending code for one of their organizations; the key is minted when the CLI picks it up. */
export async function approveDevice(ctx: AppContext, principal: Principal, input: { userCode: string; organization: string }, origin: RequestOrigin) {
  await countUserCodeGuess(ctx, principal, origin);
  const code = normalizeUserCode(input.userCode);
  if (!code) throw AccountErrors.USER_CODE_INVALID();
  const { org } = await accessOrg(ctx.db, principal, input.organization);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const approved = await trx
      .updateTable('device_codes')
      .set({ status: 'approved', user_id: principal.user.id, org_id: org.id, decided_at: now })
      .where('user_code_hash', '=', userCodeDigest(ctx, code))
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returning(['id', 'client_name'])
      .executeTakeFirst();
    if (!approved) throw AccountErrors.USER_CODE_INVALID();
    await recordAudit(trx, now, {
      action: 'device.approved',
      orgId: org.id,
      actorUserId: principal.user.id,
      targetType: 'device_authorization',
      targetId: approved.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { client_name: approved.client_name },
    });
    return { client_name: approved.client_name, organization: { id: org.id, name: org.name, slug: org.slug } };
  });
}

export async function denyDevice(ctx: AppContext, principal: Principal, userCode: string, origin: RequestOrigin) {
  await countUserCodeGuess(ctx, principal, origin);
  const code = normalizeUserCode(userCode);
  if (!code) throw AccountErrors.USER_CODE_INVALID();
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const denied = await trx
      .updateTable('device_codes')
      .set({ status: 'denied', user_id: principal.user.id, decided_at: now })
      .where('user_code_hash', '=', userCodeDigest(ctx, code))
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returning(['id', 'client_name'])
      .executeTakeFirst();
    if (!denied) throw AccountErrors.USER_CODE_INVALID();
    await recordAudit(trx, now, {
      action: 'device.denied',
      actorUserId: principal.user.id,
      targetType: 'device_authorization',
      targetId: denied.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { client_name: denied.client_name },
    });
    return { client_name: denied.client_name };
  });
}
