import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, ApiProblem, call } from '../api/client';
import { Notice } from '../ui/feedback';
import { FormError, TextField, useSubmit } from '../ui/forms';
import { askPasskey, passkeysSupported } from './passkey';
import { PublicPage } from './public-page';
import { clearSessionEnded, refreshSession, safeNext, takeReturn } from './session';

/**
 * Log in: e-mail and password, then (when the account has a second factor) a passkey, the authenticator code or a
 * recovery code; or a passkey alone, with no password.
 */
export function SignInPage() {
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [methods, setMethods] = useState<string[]>([]);
  const [code, setCode] = useState('');
  const [resent, setResent] = useState(false);
  const expired = (location.state as { expired?: boolean } | null)?.expired === true;

  async function signedIn() {
    clearSessionEnded();
    await refreshSession(queryClient);
    navigate(next ?? takeReturn() ?? '/', { replace: true });
  }

  const login = useSubmit(
    () => call(api.POST('/api/v1/auth/login', { body: { email, password } })),
    (result) => {
      if ('two_factor_required' in result.data) {
        setChallenge(result.data.challenge_token);
        setMethods(result.data.methods);
        setPassword('');
      } else void signedIn();
    },
  );
  const second = useSubmit(
    () => call(api.POST('/api/v1/auth/login/two-factor', { body: { challenge_token: challenge ?? '', code } })),
    () => void signedIn(),
  );
  const secondPasskey = useSubmit(
    async () => {
      const token = challenge ?? '';
      const options = await call(api.POST('/api/v1/auth/passkeys/two-factor/options', { body: { challenge_token: token } }));
      const passkey = await askPasskey(options.data);
      return call(api.POST('/api/v1/auth/login/two-factor', { body: { challenge_token: token, passkey } }));
    },
    () => void signedIn(),
  );
  const passkeySignIn = useSubmit(
    async () => {
      const options = await call(api.POST('/api/v1/auth/passkeys/sign-in/options'));
      const response = await askPasskey(options.data);
      return call(api.POST('/api/v1/auth/passkeys/sign-in', { body: { response } }));
    },
    () => void signedIn(),
  );
  const resend = useSubmit(
    () => call(api.POST('/api/v1/auth/resend-verification', { body: { email } })),
    () => setResent(true),
  );
  const unverified = login.error instanceof ApiProblem && login.error.code === 'EMAIL_NOT_VERIFIED';
  const challengeDead = [second.error, secondPasskey.error].some((e) => e instanceof ApiProblem && e.code === 'TWO_FACTOR_CHALLENGE_INVALID');

  if (challenge) {
    const totp = methods.includes('totp');
    return (
      <PublicPage title="Two-factor authentication">
        {methods.includes('passkey') ? (
          <div className="stack">
            <p className="muted">Confirm it is you with one of your passkeys.</p>
            <FormError message={secondPasskey.formError} />
            <button
              type="button"
              className={`btn btn-block ${totp ? '' : 'btn-primary'}`}
              onClick={() => void secondPasskey.run()}
              disabled={secondPasskey.busy}
            >
              Use a passkey
            </button>
            {totp ? <p className="divider">or</p> : null}
          </div>
        ) : null}
        {totp ? totpStep() : null}
        {challengeDead ? (
          <p className="small">
            <button type="button" className="link-button" onClick={() => (setChallenge(null), setCode(''), second.reset(), secondPasskey.reset())}>
              Start again
            </button>
          </p>
        ) : null}
      </PublicPage>
    );
  }

  function totpStep() {
    return (
      <>
        <p className="muted">Enter the 6-digit code from your authenticator app. Lost your device? Enter one of your recovery codes instead.</p>
        <form onSubmit={second.run} noValidate>
          <TextField
            label="Authentication code"
            name="code"
            autoComplete="one-time-code"
            autoFocus
            required
            value={code}
            onChange={(event) => setCode(event.target.value)}
            error={second.fieldError('code')}
            hint="A 6-digit code, or a recovery code like abcde-12345."
          />
          <FormError message={second.formError} />
          <button className="btn btn-primary btn-block" type="submit" disabled={second.busy}>
            Verify
          </button>
        </form>
      </>
    );
  }

  return (
    <PublicPage
      title="Log in to FuncSpec"
      footer={
        <>
          New to FuncSpec? <Link to={next ? `/sign-up?next=${encodeURIComponent(next)}` : '/sign-up'}>Sign Up</Link>
        </>
      }
    >
      {expired ? <Notice kind="info">Your session has ended. Log in again to continue where you were.</Notice> : null}
      <form onSubmit={login.run} noValidate>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={login.fieldError('email')}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={login.fieldError('password')}
        />
        <FormError message={login.formError} />
        {unverified ? (
          <p className="small">
            {resent ? (
              <span role="status">A new confirmation link is on its way to {email}.</span>
            ) : (
              <button type="button" className="link-button" onClick={() => void resend.run()} disabled={resend.busy}>
                Mail me a new confirmation link
              </button>
            )}
          </p>
        ) : null}
        <button className="btn btn-primary btn-block" type="submit" disabled={login.busy}>
          Log in
        </button>
      </form>
      {passkeysSupported() ? (
        <>
          <p className="divider">or</p>
          <FormError message={passkeySignIn.formError} />
          <button type="button" className="btn btn-block" onClick={() => void passkeySignIn.run()} disabled={passkeySignIn.busy}>
            Sign in with a passkey
          </button>
        </>
      ) : null}
      <p className="form-links">
        <Link to="/reset-password">Forgot your password?</Link>
      </p>
    </PublicPage>
  );
}
