import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { LoadError, Loading } from '../ui/feedback';
import { sessionHasEnded, signInPath, useSession, type Session } from './session';

/** Renders `children(session)` for a signed-in person; a visitor goes to the sign-in page and comes back. */
export function RequireSession({ children }: { children: (session: Session) => ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <Loading />;
  if (session.isError) return <LoadError error={session.error} />;
  if (!session.data) {
    const here = `${location.pathname}${location.search}`;
    return <Navigate to={signInPath(here)} replace state={{ expired: sessionHasEnded() }} />;
  }
  return <>{children(session.data)}</>;
}
