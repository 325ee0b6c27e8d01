import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client';
import { askPasskey, createPasskey } from '../auth/passkey';
import { Dialog } from '../ui/dialog';
import { LoadError, Loading, Notice } from '../ui/feedback';
import { FormError, TextField, useSubmit, ConfirmPasswordField } from '../ui/forms';
import { formatDateTime } from '../ui/format';
import { TableFrame } from '../ui/table-frame';

interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

const PASSKEYS = ['passkeys'];

/** Passkeys: listed with when they were made and last used; added with a name; renamed; removed after confirming it is you. */
export function PasskeysSection() {
  const queryClient = useQueryClient();
  const passkeys = useQuery({ queryKey: PASSKEYS, queryFn: () => call(api.GET('/api/v1/auth/passkeys')) });
  const [dialog, setDialog] = useState<{ kind: 'add' } | { kind: 'rename' | 'remove'; passkey: Passkey } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function done(message: string) {
    setDialog(null);
    setNotice(message);
    await queryClient.invalidateQueries({ queryKey: PASSKEYS });
  }

  return (
    <section className="card" aria-labelledby="passkeys-heading">
      <div className="card-header">
        <div>
          <h2 id="passkeys-heading">Passkeys</h2>
          <p className="muted small">
            Sign in with your fingerprint, face or device PIN instead of a password. A passkey is also a second factor: once you have one, a log-in with your
            password asks for it (or for a code, if two-factor authentication is on).
          </p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => (setNotice(null), setDialog({ kind: 'add' }))}>
          Add passkey
        </button>
      </div>
      {notice ? (
        <Notice kind="success" live>
          {notice}
        </Notice>
      ) : null}
      {passkeys.isPending ? (
        <Loading />
      ) : passkeys.isError ? (
        <LoadError error={passkeys.error} />
      ) : passkeys.data.data.length === 0 ? (
        <p>No passkeys yet.</p>
      ) : (
        <TableFrame label="Your passkeys">
          <table>
            <caption className="sr-only">Your passkeys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {passkeys.data.data.map((passkey) => (
                <tr key={passkey.id}>
                  <td>{passkey.name}</td>
                  <td>{formatDateTime(passkey.created_at)}</td>
                  <td>{passkey.last_used_at ? formatDateTime(passkey.last_used_at) : 'Never'}</td>
                  <td>
                    <div className="row">
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Rename passkey ${passkey.name}`}
                        onClick={() => (setNotice(null), setDialog({ kind: 'rename', passkey }))}
                      >
                        Rename
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Remove passkey ${passkey.name}`}
                        onClick={() => (setNotice(null), setDialog({ kind: 'remove', passkey }))}
                      >
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {dialog?.kind === 'add' ? (
        <AddPasskey canUsePasskey={(passkeys.data?.data.length ?? 0) > 0} onClose={() => setDialog(null)} onDone={(name) => done(`Passkey “${name}” added.`)} />
      ) : null}
      {dialog?.kind === 'rename' ? (
        <RenamePasskey passkey={dialog.passkey} onClose={() => setDialog(null)} onDone={(name) => done(`Passkey renamed to “${name}”.`)} />
      ) : null}
      {dialog?.kind === 'remove' ? (
        <RemovePasskey passkey={dialog.passkey} onClose={() => setDialog(null)} onDone={() => done(`Passkey “${dialog.passkey.name}” removed.`)} />
      ) : null}
    </section>
  );
}

type Proof = { password: string } | { passkey: Awaited<ReturnType<typeof askPasskey>> };

/** A passkey is a new way in: adding one needs proof that it is you now (your password, or one of your passkeys). */
function AddPasskey({ canUsePasskey, onClose, onDone }: { canUsePasskey: boolean; onClose: () => void; onDone: (name: string) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  async function add(proof: Proof) {
    const options = await call(api.POST('/api/v1/auth/passkeys/registration/options', { body: proof }));
    const response = await createPasskey(options.data);
    return call(api.POST('/api/v1/auth/passkeys', { body: { name, response } }));
  }
  const done = (answer: { data: { name: string } }) => onDone(answer.data.name);
  const withPassword = useSubmit(() => add({ password }), done, { PASSWORD_INCORRECT: 'password' });
  const withPasskey = useSubmit(async () => {
    const options = await call(api.POST('/api/v1/auth/passkeys/reauthentication/options'));
    return add({ passkey: await askPasskey(options.data) });
  }, done);
  return (
    <Dialog
      title="Add a passkey"
      description="Your browser or device will ask you to confirm with your fingerprint, face, PIN or security key."
      onClose={onClose}
    >
      <form onSubmit={withPassword.run} noValidate>
        <TextField
          label="Name"
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="So you can tell your passkeys apart, e.g. “Work laptop”."
          error={withPassword.fieldError('name') ?? withPasskey.fieldError('name')}
        />
        <ConfirmPasswordField
          value={password}
          onValueChange={setPassword}
          hint={canUsePasskey ? 'Confirm it is you: your password, or use one of your passkeys.' : 'Confirm it is you: your password.'}
          error={withPassword.fieldError('password')}
        />
        <FormError message={withPassword.formError ?? withPasskey.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          {canUsePasskey ? (
            <button type="button" className="btn" onClick={() => void withPasskey.run()} disabled={withPasskey.busy}>
              Confirm with a passkey
            </button>
          ) : null}
          <button type="submit" className="btn btn-primary" disabled={withPassword.busy}>
            Add passkey
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RenamePasskey({ passkey, onClose, onDone }: { passkey: Passkey; onClose: () => void; onDone: (name: string) => void }) {
  const [name, setName] = useState(passkey.name);
  const rename = useSubmit(
    () => call(api.PATCH('/api/v1/auth/passkeys/{id}', { params: { path: { id: passkey.id } }, body: { name } })),
    (answer) => onDone(answer.data.name),
  );
  return (
    <Dialog title="Rename passkey" onClose={onClose}>
      <form onSubmit={rename.run} noValidate>
        <TextField label="Name" autoFocus value={name} onChange={(e) => setName(e.target.value)} error={rename.fieldError('name')} />
        <FormError message={rename.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={rename.busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Removing a passkey needs proof that it is you now: your password, or another (or the same) passkey. */
function RemovePasskey({ passkey, onClose, onDone }: { passkey: Passkey; onClose: () => void; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const path = { params: { path: { id: passkey.id } } };
  const withPassword = useSubmit(() => call(api.DELETE('/api/v1/auth/passkeys/{id}', { ...path, body: { password } })), onDone, {
    PASSWORD_INCORRECT: 'password',
  });
  const withPasskey = useSubmit(async () => {
    const options = await call(api.POST('/api/v1/auth/passkeys/reauthentication/options'));
    const assertion = await askPasskey(options.data);
    return call(api.DELETE('/api/v1/auth/passkeys/{id}', { ...path, body: { passkey: assertion } }));
  }, onDone);
  return (
    <Dialog title={`Remove passkey “${passkey.name}”?`} description="It will no longer sign you in. Confirm it is you first." onClose={onClose}>
      <form onSubmit={withPassword.run} noValidate>
        <ConfirmPasswordField autoFocus value={password} onValueChange={setPassword} error={withPassword.fieldError('password')} />
        <FormError message={withPassword.formError ?? withPasskey.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn" onClick={() => void withPasskey.run()} disabled={withPasskey.busy}>
            Confirm with a passkey
          </button>
          <button type="submit" className="btn btn-danger btn-solid" disabled={withPassword.busy}>
            Remove
          </button>
        </div>
      </form>
    </Dialog>
  );
}
