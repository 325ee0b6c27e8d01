import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { Notice } from '../ui/feedback';
import { FormError, useSubmit } from '../ui/forms';
import { PublicPage } from './public-page';
import { refreshSession, useSession } from './session';
import { Loading } from '../ui/feedback';

/** /invitations/accept?token=…: a visitor signs in or signs up first and comes back; then one button accepts. */
export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const location = useLocation();
  const session = useSession();
  const queryClient = useQueryClient();
  const token = params.get('token');
  const [joined, setJoined] = useState<{ name: string; slug: string; role: string } | null>(null);
  const accept = useSubmit(
    () => call(api.POST('/api/v1/invitations/accept', { body: { token: token ?? '' } })),
    (answer) => {
      setJoined({ ...answer.data.organization, role: answer.data.role });
      void refreshSession(queryClient);
    },
  );
  const here = encodeURIComponent(`${location.pathname}${location.search}`);

  if (!token) {
    return (
      <PublicPage title="Join an organization">
        <Notice kind="error">This link has no token: open the link from the invitation e-mail again.</Notice>
      </PublicPage>
    );
  }
  if (session.isPending) return <Loading />;
  if (!session.data) {
    return (
      <PublicPage title="You're invited to FuncSpec">
        <p>To accept the invitation, log in with the address it was sent to, or create an account with that address.</p>
        <div className="stack">
          <Link className="btn btn-primary btn-block" to={`/sign-in?next=${here}`}>
            Log in to accept
          </Link>
          <Link className="btn btn-block" to={`/sign-up?next=${here}`}>
            Sign Up to accept
          </Link>
        </div>
      </PublicPage>
    );
  }
  if (joined) {
    return (
      <PublicPage title="Welcome aboard">
        <Notice kind="success" live>
          You joined {joined.name} as {joined.role}.
        </Notice>
        <Link className="btn btn-primary btn-block" to={`/orgs/${joined.slug}`}>
          Open {joined.name}
        </Link>
      </PublicPage>
    );
  }
  return (
    <PublicPage title="Join an organization">
      <p>
        You are signed in as <strong>{session.data.user.email}</strong>. Accept the invitation to join the organization with the role it offers.
      </p>
      <FormError message={accept.formError} />
      <button type="button" className="btn btn-primary btn-block" onClick={() => void accept.run()} disabled={accept.busy}>
        Accept invitation
      </button>
    </PublicPage>
  );
}
