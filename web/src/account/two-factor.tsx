import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { api, call } from '../api/client';
import { refreshSession } from '../auth/session';
import { CopyButton, DownloadButton } from '../ui/copy';
import { Dialog } from '../ui/dialog';
import { Notice } from '../ui/feedback';
import { FormError, TextField, useSubmit, ConfirmPasswordField } from '../ui/forms';

type Phase =
  | { step: 'idle' }
  | { step: 'password' }
  | { step: 'scan'; secret: string; qrCode: string }
  | { step: 'codes'; codes: string[]; fresh: 'enabled' | 'regenerated' };

/** Two-factor authentication: enrol (password → QR code and secret → first code → recovery codes once), new codes, disable. */
export function TwoFactorSection({ enabled }: { enabled: boolean }) {
  const queryClient = useQueryClient();
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [change, setChange] = useState<'disable' | 'regenerate' | null>(null);
  const [disabled, setDisabled] = useState(false);
  // The same list the Passkeys section shows (one request for both): passkeys are a second step already.
  const passkeys = useQuery({ queryKey: ['passkeys'], queryFn: () => call(api.GET('/api/v1/auth/passkeys')) });
  const hasPasskeys = (passkeys.data?.data.length ?? 0) > 0;

  const setup = useSubmit(
    () => call(api.POST('/api/v1/auth/two-factor/setup', { body: { password } })),
    (answer) => {
      setPassword('');
      setPhase({ step: 'scan', secret: answer.data.secret, qrCode: answer.data.qr_code });
    },
    { PASSWORD_INCORRECT: 'password' },
  );
  const enable = useSubmit(
    () => call(api.POST('/api/v1/auth/two-factor/enable', { body: { code } })),
    async (answer) => {
      setCode('');
      setPhase({ step: 'codes', codes: answer.data.recovery_codes, fresh: 'enabled' });
      await refreshSession(queryClient);
    },
    { TWO_FACTOR_INVALID: 'code' },
  );

  const heading = (
    <div className="card-header">
      <div>
        <h2 id="two-factor-heading">Two-factor authentication</h2>
        <p className="muted small">A code from an authenticator app on your phone, asked for at every log-in after your password.</p>
      </div>
      <span className={`badge ${enabled ? 'badge-success' : 'badge-warning'}`}>{enabled ? 'On' : 'Off'}</span>
    </div>
  );

  let body: ReactNode;
  if (phase.step === 'codes') {
    body = <RecoveryCodes codes={phase.codes} fresh={phase.fresh} onDone={() => setPhase({ step: 'idle' })} />;
  } else if (phase.step === 'password') {
    body = (
      <form onSubmit={setup.run} noValidate>
        <p>Confirm it is you: enter your password to start.</p>
        <ConfirmPasswordField autoFocus value={password} onValueChange={setPassword} error={setup.fieldError('password')} />
        <FormError message={setup.formError} />
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={setup.busy}>
            Continue
          </button>
          <button type="button" className="btn" onClick={() => setPhase({ step: 'idle' })}>
            Cancel
          </button>
        </div>
      </form>
    );
  } else if (phase.step === 'scan') {
    body = (
      <form onSubmit={enable.run} noValidate>
        <p>Scan this QR code with your authenticator app (1Password, Google Authenticator, Authy, …).</p>
        <img className="qr" src={phase.qrCode} alt="QR code of the two-factor secret for your authenticator app" width={192} height={192} />
        <p className="small">
          Cannot scan it? Enter this secret in the app instead:
          <br />
          {/* biome-ignore lint/a11y/useAriaPropsSupportedByRole: the browser tests and screen readers find the secret by this name */}
          <code className="secret" aria-label="Two-factor secret">
            {phase.secret}
          </code>
        </p>
        <TextField
          label="Authentication code"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          hint="Then enter the 6-digit code the app shows."
          error={enable.fieldError('code')}
        />
        <FormError message={enable.formError} />
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={enable.busy}>
            Verify
          </button>
          <button type="button" className="btn" onClick={() => setPhase({ step: 'idle' })}>
            Cancel
          </button>
        </div>
      </form>
    );
  } else if (enabled) {
    body = (
      <>
        <p>Two-factor authentication is on. Keep your recovery codes somewhere safe: each one signs you in once if you lose your phone.</p>
        <div className="row">
          <button type="button" className="btn" onClick={() => setChange('regenerate')}>
            New recovery codes
          </button>
          <button type="button" className="btn btn-danger" onClick={() => setChange('disable')}>
            Disable 2FA
          </button>
        </div>
      </>
    );
  } else {
    body = (
      <>
        {disabled ? (
          <Notice kind="success" live>
            Two-factor authentication is off.
          </Notice>
        ) : null}
        <p>
          {hasPasskeys
            ? 'Your passkeys already make a log-in with your password ask for a second step. An authenticator app adds codes, and recovery codes for the day you lose your devices.'
            : 'Protect your account with a second step at log-in, so a stolen password alone is not enough.'}
        </p>
        <button type="button" className="btn btn-primary" onClick={() => (setDisabled(false), setPhase({ step: 'password' }))}>
          Enable 2FA
        </button>
      </>
    );
  }

  return (
    <section className="card" aria-labelledby="two-factor-heading">
      {heading}
      {body}
      {change ? (
        <ChangeTwoFactor
          kind={change}
          onClose={() => setChange(null)}
          onDone={async (codes) => {
            setChange(null);
            if (codes) setPhase({ step: 'codes', codes, fresh: 'regenerated' });
            else setDisabled(true);
            await refreshSession(queryClient);
          }}
        />
      ) : null}
    </section>
  );
}

function RecoveryCodes({ codes, fresh, onDone }: { codes: string[]; fresh: 'enabled' | 'regenerated'; onDone: () => void }) {
  const text = `FuncSpec recovery codes (each works once)\n\n${codes.join('\n')}\n`;
  return (
    <>
      <Notice kind="success" live>
        {fresh === 'enabled' ? 'Two-factor authentication is on.' : 'New recovery codes are ready; the old ones no longer work.'}
      </Notice>
      <h3>Your recovery codes</h3>
      <p>Save these now: they are shown only once. Each one signs you in once if you lose your authenticator app.</p>
      <ul className="codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="row">
        <CopyButton text={codes.join('\n')} />
        <DownloadButton text={text} filename="funcspec-recovery-codes.txt" />
        <button type="button" className="btn btn-primary btn-small" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </>
  );
}

function ChangeTwoFactor({ kind, onClose, onDone }: { kind: 'disable' | 'regenerate'; onClose: () => void; onDone: (codes: string[] | null) => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const submit = useSubmit(
    async () =>
      kind === 'disable'
        ? (await call(api.POST('/api/v1/auth/two-factor/disable', { body: { password, code } })), null)
        : (await call(api.POST('/api/v1/auth/two-factor/recovery-codes', { body: { password, code } }))).data.recovery_codes,
    onDone,
    { PASSWORD_INCORRECT: 'password', TWO_FACTOR_INVALID: 'code' },
  );
  return (
    <Dialog
      title={kind === 'disable' ? 'Disable two-factor authentication' : 'New recovery codes'}
      description={
        kind === 'disable' ? 'Your password alone will then be enough to log in, unless you have a passkey.' : 'The codes you have now stop working.'
      }
      onClose={onClose}
    >
      <form onSubmit={submit.run} noValidate>
        <ConfirmPasswordField autoFocus value={password} onValueChange={setPassword} error={submit.fieldError('password')} />
        <TextField
          label="Authentication code"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          hint="From your app, or a recovery code."
          error={submit.fieldError('code')}
        />
        <FormError message={submit.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={`btn ${kind === 'disable' ? 'btn-danger btn-solid' : 'btn-primary'}`} disabled={submit.busy}>
            {kind === 'disable' ? 'Disable 2FA' : 'Make new codes'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
