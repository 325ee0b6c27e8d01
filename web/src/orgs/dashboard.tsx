import { useState } from 'react';
import { Navigate } from 'react-router';
import { rememberedOrganization, useSignedIn, findMembership } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { CreateOrganizationDialog } from './create-organization';

/** After sign-in: the organization last worked in, or (for a newcomer) create one or wait for an invitation. */
export function DashboardPage() {
  const session = useSignedIn();
  const current = findMembership(session, rememberedOrganization()) ?? session.memberships[0];
  if (current) return <Navigate to={`/orgs/${current.organization.slug}`} replace />;
  return <Welcome name={session.user.name || session.user.email} />;
}

function Welcome({ name }: { name: string }) {
  usePageTitle('Welcome');
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Welcome, {name}</h1>
          <p>You are not in an organization yet. Create one, or join your team's.</p>
        </div>
      </div>
      <div className="grid-cards">
        <section className="card" aria-labelledby="create-heading">
          <h2 id="create-heading">Start an organization</h2>
          <p className="muted">Your own space for projects, API keys and a team. You will be its owner.</p>
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Create organization
          </button>
        </section>
        <section className="card" aria-labelledby="join-heading">
          <h2 id="join-heading">Join your team</h2>
          <p className="muted">
            Ask an owner or admin of your team's organization to invite your address. The invitation e-mail has a link that brings you in.
          </p>
        </section>
      </div>
      {creating ? <CreateOrganizationDialog onClose={() => setCreating(false)} /> : null}
    </>
  );
}
