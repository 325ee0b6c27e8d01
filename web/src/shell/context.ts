import { useParams } from 'react-router';
import { useSession, type Role, type Session } from '../auth/session';

const CURRENT_ORG_KEY = 'funcspec.organization';

/** The signed-in session, for pages under the signed-in layout (which renders them only with a session). */
export function useSignedIn(): Session {
  const session = useSession().data;
  if (!session) throw new Error('useSignedIn outside the signed-in layout');
  return session;
}

export type Membership = Session['memberships'][number];

/** The organization in view (`:org` is its slug or id) and the person's role in it, or null. */
export function useCurrentMembership(): Membership | null {
  const session = useSignedIn();
  const { org } = useParams();
  return findMembership(session, org ?? rememberedOrganization()) ?? session.memberships[0] ?? null;
}

export function findMembership(session: Session, org: string | null | undefined): Membership | null {
  if (!org) return null;
  return session.memberships.find((m) => m.organization.slug === org || m.organization.id === org) ?? null;
}

export function rememberOrganization(slug: string): void {
  localStorage.setItem(CURRENT_ORG_KEY, slug);
}

export function rememberedOrganization(): string | null {
  return localStorage.getItem(CURRENT_ORG_KEY);
}

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}
