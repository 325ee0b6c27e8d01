import { useQuery } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useOutletContext } from 'react-router';
import { api, call } from '../api/client';
import type { Role } from '../auth/session';
import { atLeast, useCurrentMembership, type Membership } from '../shell/context';
import { Notice } from '../ui/feedback';

export interface OrgSettingsContext {
  membership: Membership;
  slug: string;
}

const SECTIONS: Array<{ path: string; label: string; ownerOnly?: boolean }> = [
  { path: '', label: 'General' },
  { path: 'members', label: 'Members' },
  { path: 'api-keys', label: 'API Keys' },
  { path: 'usage', label: 'Usage' },
  { path: 'security', label: 'Security' },
  { path: 'audit-log', label: 'Audit log' },
  { path: 'billing', label: 'Billing', ownerOnly: true },
];

/** Organization Settings: the section links beside (or, on a phone, above) the section in view. */
export function OrgSettingsLayout() {
  const membership = useCurrentMembership();
  const { pathname } = useLocation();
  // On a phone the section links are one row that scrolls sideways: keep the current one in view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs again when the page changes
  useEffect(() => {
    document.querySelector('.settings-nav [aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [pathname]);
  if (!membership) return <Navigate to="/dashboard" replace />;
  const base = `/orgs/${membership.organization.slug}/settings`;
  return (
    <>
      <div className="page-header">
        <div>
          <div className="breadcrumbs">{membership.organization.name}</div>
          <h1>Organization Settings</h1>
        </div>
      </div>
      <div className="settings">
        <nav className="settings-nav" aria-label="Organization Settings">
          {SECTIONS.filter((s) => !s.ownerOnly || membership.role === 'owner').map((s) => (
            <NavLink key={s.label} to={s.path ? `${base}/${s.path}` : base} end>
              {s.label}
            </NavLink>
          ))}
        </nav>
        <section aria-label="Settings section">
          <Outlet context={{ membership, slug: membership.organization.slug } satisfies OrgSettingsContext} />
        </section>
      </div>
    </>
  );
}

export function useOrgSettings(): OrgSettingsContext {
  return useOutletContext<OrgSettingsContext>();
}

export function useOrganization(slug: string) {
  return useQuery({ queryKey: ['organization', slug], queryFn: () => call(api.GET('/api/v1/organizations/{org}', { params: { path: { org: slug } } })) });
}

const ROLE_WORDS: Record<Role, string> = { owner: 'owners', admin: 'owners and admins', member: 'members' };

/** A section the person's role does not open: say why, and who can help, instead of an empty page. */
export function RoleGate({ needed, what, membership, children }: { needed: Role; what: string; membership: Membership; children: ReactNode }) {
  if (atLeast(membership.role, needed)) return <>{children}</>;
  return (
    <div className="card">
      <h2>{what}</h2>
      <Notice kind="info">
        Only {ROLE_WORDS[needed]} of {membership.organization.name} can see {what.toLowerCase()}. Your role here is {membership.role}: ask an{' '}
        {needed === 'owner' ? 'owner' : 'owner or admin'} if you need it.
      </Notice>
    </div>
  );
}
