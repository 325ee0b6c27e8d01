import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { Notice } from '../ui/feedback';
import { FormError, TextField, useSubmit } from '../ui/forms';
import { PublicPage } from './public-page';
import { PASSWORD_HINT } from './sign-up';

// The pages mailed links open. Opening one (a GET, as mail scanners do) changes nothing: the person
// confirms with a button, and only then does the page POST the link's token to the API.

interface VerifyAnswer {
  user: { email: string };
  password_set?: boolean;
  password_token?: string;
}

export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const [answer, setAnswer] = useState<VerifyAnswer | null>(null);
  const confirm = useSubmit(async () => (await call(api.POST('/api/v1/auth/verify-email', { body: { token: token ?? '' } }))).data as VerifyAnswer, setAnswer);
  if (answer && answer.password_set === false && answer.password_token) {
    return <ChoosePassword email={answer.user.email} token={answer.password_token} />;
  }
  return (
    <PublicPage title="Confirm your e-mail address">
      {!token ? (
        <Notice kind="error">This link has no token: open the link from the e-mail again.</Notice>
      ) : answer ? (
        <>
          <Notice kind="success" live>
            Thank you: {answer.user.email} is confirmed. You can now log in.
          </Notice>
          <Link className="btn btn-primary btn-block" to={`/sign-in?email=${encodeURIComponent(answer.user.email)}`}>
            Log in
          </Link>
        </>
      ) : (
        <>
          <p>Press the button to confirm this address for your FuncSpec account.</p>
          <FormError message={confirm.formError} />
          <button type="button" className="btn btn-primary btn-block" onClick={() => void confirm.run()} disabled={confirm.busy}>
            Confirm my e-mail address
          </button>
        </>
      )}
    </PublicPage>
  );
}

/**
 * Sets a password with a one-time token (POST /auth/password/reset): a reset link's token, or the
 * `password_token` of a verification opened in another browser than the one that signed up. With
 * `repeat`, the person types it twice and a mismatch is caught before anything is sent.
 */
function SetPassword(props: {
  token: string;
  title: string;
  intro?: ReactNode;
  label: string;
  repeat: boolean;
  submitLabel: string;
  done: ReactNode;
  email?: string;
}) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const save = useSubmit(
    () => call(api.POST('/api/v1/auth/password/reset', { body: { token: props.token, password } })),
    () => setDone(true),
    { PASSWORD_TOO_WEAK: 'password' },
  );
  return (
    <PublicPage title={props.title}>
      {done ? (
        <>
          <Notice kind="success" live>
            {props.done}
          </Notice>
          <Link className="btn btn-primary btn-block" to={props.email ? `/sign-in?email=${encodeURIComponent(props.email)}` : '/sign-in'}>
            Log in
          </Link>
        </>
      ) : (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            const differ = props.repeat && password !== again;
            setMismatch(differ);
            if (!differ) void save.run();
          }}
        >
          {props.intro}
          <TextField
            label={props.label}
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            hint={PASSWORD_HINT}
            error={save.fieldError('password')}
          />
          {props.repeat ? (
            <TextField
              label="Repeat the new password"
              type="password"
              autoComplete="new-password"
              required
              value={again}
              onChange={(e) => setAgain(e.target.value)}
              error={mismatch ? 'The two passwords differ.' : undefined}
            />
          ) : null}
          <FormError message={save.formError} />
          <button type="submit" className="btn btn-primary btn-block" disabled={save.busy}>
            {props.submitLabel}
          </button>
        </form>
      )}
    </PublicPage>
  );
}

/** The address is proven, but the sign-up happened in another browser: its password is not trusted. */
function ChoosePassword({ email, token }: { email: string; token: string }) {
  return (
    <SetPassword
      token={token}
      email={email}
      title="Choose a password"
      intro={<p>{email} is confirmed. This link was opened in another browser than the one that signed up, so choose the password for the account here.</p>}
      label="Password"
      repeat={false}
      submitLabel="Set password"
      done={`Your password is set. Log in with ${email} and the new password.`}
    />
  );
}

/** With a token: set a new password. Without: ask for a reset link. */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  return token ? (
    <SetPassword
      token={token}
      title="Reset your password"
      label="New password"
      repeat
      submitLabel="Set the new password"
      done="Your password is changed and every session was signed out. Log in with the new password."
    />
  ) : (
    <ForgotPassword />
  );
}

function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const forgot = useSubmit(
    () => call(api.POST('/api/v1/auth/password/forgot', { body: { email } })),
    () => setSent(true),
  );
  return (
    <PublicPage title="Reset your password" footer={<Link to="/sign-in">Back to log in</Link>}>
      {sent ? (
        <Notice kind="success" live>
          If {email} has an account, a link to reset its password is on its way. It works once, for one hour.
        </Notice>
      ) : (
        <form onSubmit={forgot.run} noValidate>
          <p className="muted">Enter your account's address and we will e-mail you a link to choose a new password.</p>
          <TextField
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={forgot.fieldError('email')}
          />
          <FormError message={forgot.formError} />
          <button type="submit" className="btn btn-primary btn-block" disabled={forgot.busy}>
            Mail me a reset link
          </button>
        </form>
      )}
    </PublicPage>
  );
}
