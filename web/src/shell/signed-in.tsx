import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { api, call } from '../api/client';
import { RequireSession } from '../auth/require-session';
import { SESSION_KEY, type Session } from '../auth/session';
import { CreateOrganizationDialog } from '../orgs/create-organization';
import { Brand } from '../ui/brand';
import { MenuButton } from '../ui/menu';
import { findMembership, rememberedOrganization, rememberOrganization } from './context';

/** Every signed-in page: the top bar (organization switcher, navigation, user menu) over the page. */
export function SignedInLayout() {
  return <RequireSession>{(session) => <Shell session={session} />}</RequireSession>;
}

function Shell({ session }: { session: Session }) {
  const { org } = useParams();
  const current = findMembership(session, org) ?? findMembership(session, rememberedOrganization()) ?? session.memberships[0] ?? null;
  useEffect(() => {
    if (current) rememberOrganization(current.organization.slug);
  }, [current]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Brand to="/dashboard" />
          <OrganizationSwitcher session={session} current={current} />
          {current ? (
            <nav className="topnav" aria-label="Main">
              <NavLink to={`/orgs/${current.organization.slug}`} end>
                Projects
              </NavLink>
              <NavLink to={`/orgs/${current.organization.slug}/settings`}>Settings</NavLink>
            </nav>
          ) : null}
          <span className="spacer" />
          <UserMenu session={session} />
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

function OrganizationSwitcher({ session, current }: { session: Session; current: Session['memberships'][number] | null }) {
  const [creating, setCreating] = useState(false);
  return (
    <>
      <MenuButton label="Switch organization" align="left" buttonText={current ? current.organization.name : 'No organization'}>
        <div className="menu-label">Your organizations</div>
        <nav aria-label="Your organizations">
          {session.memberships.map((m) => (
            <Link key={m.organization.id} to={`/orgs/${m.organization.slug}`} aria-current={m === current ? 'true' : undefined}>
              {m.organization.name} <span className="muted small">· {m.role}</span>
            </Link>
          ))}
        </nav>
        <hr />
        {current ? <Link to={`/orgs/${current.organization.slug}/settings`}>Organization Settings</Link> : null}
        <button type="button" onClick={() => setCreating(true)}>
          Create organization
        </button>
      </MenuButton>
      {creating ? <CreateOrganizationDialog onClose={() => setCreating(false)} /> : null}
    </>
  );
}

function UserMenu({ session }: { session: Session }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  async function logOut() {
    await call(api.POST('/api/v1/auth/logout')).catch(() => undefined); // an ended session is logged out already
    queryClient.clear();
    queryClient.setQueryData(SESSION_KEY, null);
    navigate('/', { replace: true });
  }
  return (
    <MenuButton label="Your account" buttonText={session.user.name || session.user.email}>
      <div className="menu-label">Signed in as {session.user.email}</div>
      <Link to="/account">Account Settings</Link>
      <hr />
      <button type="button" onClick={() => void logOut()}>
        Log out
      </button>
    </MenuButton>
  );
}
