import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { Notice } from '../ui/feedback';
import { FormError, TextField, useSubmit } from '../ui/forms';
import { PublicPage } from './public-page';
import { rememberReturn, safeNext } from './session';

const PASSWORD_HINT = '8 to 256 characters. Common or breached passwords are refused.';

/** Sign up, then "check your e-mail" (the same answer whether or not the address was known). */
export function SignUpPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const signUp = useSubmit(
    () => call(api.POST('/api/v1/auth/sign-up', { body: { email, password, ...(name.trim() ? { name: name.trim() } : {}) } })),
    () => {
      rememberReturn(next); // an invitation link brings the person back there after the mailed link
      setSentTo(email);
    },
    { PASSWORD_TOO_WEAK: 'password' },
  );
  if (sentTo) return <CheckEmail email={sentTo} />;
  return (
    <PublicPage
      title="Create your FuncSpec account"
      footer={
        <>
          Already have an account? <Link to={next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in'}>Log in</Link>
        </>
      }
    >
      <form onSubmit={signUp.run} noValidate>
        <TextField
          label="Name (optional)"
          name="name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={signUp.fieldError('name')}
        />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={signUp.fieldError('email')}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={PASSWORD_HINT}
          error={signUp.fieldError('password')}
        />
        <FormError message={signUp.formError} />
        <button className="btn btn-primary btn-block" type="submit" disabled={signUp.busy}>
          Sign Up
        </button>
      </form>
    </PublicPage>
  );
}

function CheckEmail({ email }: { email: string }) {
  const [resent, setResent] = useState(false);
  const resend = useSubmit(
    () => call(api.POST('/api/v1/auth/resend-verification', { body: { email } })),
    () => setResent(true),
  );
  return (
    <PublicPage title="Check your e-mail" footer={<Link to="/sign-in">Back to log in</Link>}>
      <p>
        We sent a link to <strong>{email}</strong>. Open it to confirm your address; then you can log in.
      </p>
      <p className="muted small">The link works once, for 24 hours. Nothing arrived after a few minutes? Look in the spam folder, or ask for another.</p>
      {resent ? (
        <Notice kind="success" live>
          Another link is on its way.
        </Notice>
      ) : null}
      <FormError message={resend.formError} />
      <button type="button" className="btn" onClick={() => void resend.run()} disabled={resend.busy}>
        Send the link again
      </button>
    </PublicPage>
  );
}

export { PASSWORD_HINT };
