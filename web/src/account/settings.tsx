import { TableFrame } from '../ui/table-frame';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { refreshSession, SESSION_KEY, type Session } from '../auth/session';
import { PASSWORD_HINT } from '../auth/sign-up';
import { useSignedIn } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { ConfirmDialog } from '../ui/dialog';
import { LoadError, Loading, Notice } from '../ui/feedback';
import { FormError, TextField, useSubmit } from '../ui/forms';
import { describeUserAgent, formatDate, formatDateTime } from '../ui/format';
import { PasskeysSection } from './passkeys';
import { TwoFactorSection } from './two-factor';

/** Account Settings: profile, password, two-factor authentication, passkeys, sessions. */
export function AccountSettingsPage() {
  usePageTitle('Account Settings');
  const session = useSignedIn();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Account Settings</h1>
          <p>
            {session.user.email} · member since {formatDate(session.user.created_at)}
          </p>
        </div>
      </div>
      <ProfileSection session={session} />
      <PasswordSection />
      <TwoFactorSection enabled={session.user.two_factor_enabled} />
      <PasskeysSection />
      <SessionsSection />
    </>
  );
}

function ProfileSection({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(session.user.name ?? '');
  const [saved, setSaved] = useState(false);
  const save = useSubmit(
    () => call(api.PATCH('/api/v1/auth/profile', { body: { name: name.trim() ? name : null } })),
    async () => {
      await refreshSession(queryClient);
      setSaved(true);
    },
  );
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <form onSubmit={(e) => (setSaved(false), save.run(e))} noValidate>
        <TextField label="Email" value={session.user.email} readOnly hint="The address you log in with and where notices go." />
        <TextField label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={save.fieldError('name')} />
        <FormError message={save.formError} />
        {saved ? (
          <Notice kind="success" live>
            Your profile is saved.
          </Notice>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={save.busy}>
          Save profile
        </button>
      </form>
    </section>
  );
}

function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const change = useSubmit(
    () => call(api.POST('/api/v1/auth/password/change', { body: { current_password: current, new_password: next } })),
    () => {
      setDone(true);
      setCurrent('');
      setNext('');
    },
    { PASSWORD_INCORRECT: 'current_password', PASSWORD_TOO_WEAK: 'new_password' },
  );
  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={(e) => (setDone(false), change.run(e))} noValidate>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={change.fieldError('current_password')}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint={PASSWORD_HINT}
          error={change.fieldError('new_password')}
        />
        <FormError message={change.formError} />
        {done ? (
          <Notice kind="success" live>
            Your password is changed. Every other session was signed out.
          </Notice>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={change.busy}>
          Change password
        </button>
      </form>
    </section>
  );
}

function SessionsSection() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [ending, setEnding] = useState<{ id: string; current: boolean } | null>(null);
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => call(api.GET('/api/v1/auth/sessions', { params: { query: { per: 100 } } })) });
  const signOut = useSubmit(
    () => call(api.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id: ending!.id } } })),
    () => {
      const wasCurrent = ending?.current;
      setEnding(null);
      if (wasCurrent) {
        queryClient.clear();
        queryClient.setQueryData(SESSION_KEY, null);
        navigate('/', { replace: true });
      } else void queryClient.invalidateQueries({ queryKey: ['sessions'] });
    },
  );
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <div className="card-header">
        <div>
          <h2 id="sessions-heading">Sessions</h2>
          <p className="muted small">Where you are signed in. Sign out of any you do not recognise, then change your password.</p>
        </div>
      </div>
      {sessions.isPending ? (
        <Loading />
      ) : sessions.isError ? (
        <LoadError error={sessions.error} />
      ) : (
        <TableFrame label="Your sessions">
          <table>
            <caption className="sr-only">Your sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.data.map((row) => (
                <tr key={row.id}>
                  <td>
                    {describeUserAgent(row.user_agent)} {row.current ? <span className="badge badge-accent">This device</span> : null}
                  </td>
                  <td className="mono">{row.ip ?? '—'}</td>
                  <td>{formatDateTime(row.created_at)}</td>
                  <td>{formatDateTime(row.last_seen_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      aria-label={row.current ? 'Sign out (this device)' : `Sign out ${describeUserAgent(row.user_agent)} from ${row.ip ?? 'unknown address'}`}
                      onClick={() => setEnding({ id: row.id, current: row.current })}
                    >
                      Sign out
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {ending ? (
        <ConfirmDialog
          title={ending.current ? 'Sign out of this device?' : 'Sign out that session?'}
          description={ending.current ? 'You will be taken to the sign-in page.' : 'That browser will have to log in again.'}
          confirmLabel="Sign out"
          danger
          busy={signOut.busy}
          error={signOut.formError}
          onConfirm={() => void signOut.run()}
          onClose={() => setEnding(null)}
        />
      ) : null}
    </section>
  );
}
