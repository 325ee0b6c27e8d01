import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api, ApiProblem, call } from '../api/client';
import type { paths } from '../api/schema';

export type Session = paths['/api/v1/auth/session']['get']['responses'][200]['content']['application/json']['data'];
export type Role = Session['memberships'][number]['role'];

export const SESSION_KEY = ['session'] as const;

/** The signed-in person, or null for a visitor. */
export async function fetchSession(): Promise<Session | null> {
  try {
    return (await call(api.GET('/api/v1/auth/session'))).data;
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) return null;
    throw error;
  }
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 30_000 });
}

/** A `next` target that stays on this site (a path, never `//host` or a URL). */
export function safeNext(value: string | null | undefined): string | null {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  return value;
}

const RETURN_KEY = 'funcspec.returnTo';

/** Where to go after signing in, kept across the e-mail round trip of a sign-up (this tab only). */
export function rememberReturn(path: string | null): void {
  if (path) sessionStorage.setItem(RETURN_KEY, path);
}

export function takeReturn(): string | null {
  const path = safeNext(sessionStorage.getItem(RETURN_KEY));
  sessionStorage.removeItem(RETURN_KEY);
  return path;
}

/** The sign-in page's address that brings the person back to `path` afterwards. */
export function signInPath(path: string): string {
  return `/sign-in?next=${encodeURIComponent(path)}`;
}

/** Reads the session again now (after a login, a new membership…), whether or not a page is watching it. */
export async function refreshSession(queryClient: QueryClient): Promise<void> {
  await queryClient.fetchQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 0 });
}

// Set when the API answers 401 to a signed-in page (idle timeout, signed out elsewhere), so the sign-in
// page it leads to can say why; cleared by the next log-in.
let endedWhileSignedIn = false;

export function noteSessionEnded(): void {
  endedWhileSignedIn = true;
}

export function sessionHasEnded(): boolean {
  return endedWhileSignedIn;
}

export function clearSessionEnded(): void {
  endedWhileSignedIn = false;
}
