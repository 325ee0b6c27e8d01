import type { AuditEntry, RequestOrigin } from './audit.js';
import type { Principal } from '../auth/principal.js';

/** Who acts, as the audit log records it: the user, the key they used (if any) and where they called from. */
export interface Actor {
  userId: string;
  keyId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export function actorOf(principal: Principal, origin: RequestOrigin): Actor {
  return { userId: principal.user.id, keyId: principal.apiKey?.id ?? null, ip: origin.ip, userAgent: origin.userAgent };
}

/** The actor's part of an audit entry. */
export function byActor(actor: Actor): Pick<AuditEntry, 'actorUserId' | 'actorKeyId' | 'ip' | 'userAgent'> {
  return { actorUserId: actor.userId, actorKeyId: actor.keyId, ip: actor.ip, userAgent: actor.userAgent };
}
