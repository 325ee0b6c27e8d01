import { TableFrame } from '../ui/table-frame';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client';
import type { paths } from '../api/schema';
import { useSignedIn } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { CopyButton } from '../ui/copy';
import { ConfirmDialog, Dialog } from '../ui/dialog';
import { EmptyState, LoadError, Loading, Notice } from '../ui/feedback';
import { FormError, SelectField, TextAreaField, TextField, useSubmit } from '../ui/forms';
import { formatDate, formatDateTime, relativeTime } from '../ui/format';
import { useOrgSettings } from './settings-layout';

type ApiKey = paths['/api/v1/organizations/{org}/api-keys']['get']['responses'][200]['content']['application/json']['data'][number];

const NINETY_DAYS_MS = 90 * 24 * 60 * 60 * 1000;

/** A key nobody has used for 90 days (or never, 90 days after it was made) is probably forgotten: revoke it. */
function unusedFor90Days(key: ApiKey, now = Date.now()): boolean {
  return now - new Date(key.last_used_at ?? key.created_at).getTime() > NINETY_DAYS_MS;
}

/** "a, b c" or one per line → the list the API takes (empty: any address). */
function parseAddressList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function ApiKeysPage() {
  usePageTitle('API Keys');
  const { membership, slug } = useOrgSettings();
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [revealed, setRevealed] = useState<{ secret: string; name: string; rotated: boolean } | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const keys = useQuery({
    queryKey: ['api-keys', slug],
    queryFn: () => call(api.GET('/api/v1/organizations/{org}/api-keys', { params: { path: { org: slug }, query: { per: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['api-keys', slug] });
  const revoke = useSubmit(
    () => call(api.DELETE('/api/v1/organizations/{org}/api-keys/{id}', { params: { path: { org: slug, id: revoking!.id } } })),
    async () => {
      setNotice(`${revoking!.name} is revoked: requests with it fail from now on.`);
      setRevoking(null);
      await refresh();
    },
  );
  const createButton = (
    <button type="button" className="btn btn-primary" onClick={() => (setNotice(null), setCreating(true))}>
      Create API Key
    </button>
  );
  return (
    <div className="card">
      <div className="card-header">
        <div>
          <h2>API Keys</h2>
          <p className="muted small">
            Keys let scripts, CI and agents call the API as you, with your role in {membership.organization.name}.{' '}
            {membership.role === 'member' ? 'You see your own keys.' : 'You see every key of the organization.'}
          </p>
        </div>
        {createButton}
      </div>
      {notice ? (
        <Notice kind="success" live>
          {notice}
        </Notice>
      ) : null}
      {keys.isPending ? (
        <Loading />
      ) : keys.isError ? (
        <LoadError error={keys.error} />
      ) : keys.data.data.length === 0 ? (
        <EmptyState title="No API keys yet">Create one for each script or machine, so you can revoke one without touching the others.</EmptyState>
      ) : (
        <TableFrame label="API keys">
          <table>
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created by</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Allowed IPs</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((key) => (
                <tr key={key.id}>
                  <td>
                    <div>{key.name}</div>
                    <div className="small muted">created {formatDate(key.created_at)}</div>
                    {unusedFor90Days(key) ? <span className="badge badge-warning">Unused for 90 days</span> : null}
                    {key.revoked_at ? <span className="badge badge-warning">Old key: stops {relativeTime(key.revoked_at)}</span> : null}
                  </td>
                  <td className="mono">…{key.last_four}</td>
                  <td>{key.created_by.name ?? key.created_by.email ?? 'a former member'}</td>
                  <td>
                    {key.last_used_at ? (
                      <>
                        <div title={formatDateTime(key.last_used_at)}>{formatDateTime(key.last_used_at)}</div>
                        <div className="small muted mono">{key.last_used_ip ?? ''}</div>
                      </>
                    ) : (
                      <span className="muted">Never</span>
                    )}
                  </td>
                  <td>{key.expires_at ? formatDate(key.expires_at) : <span className="muted">Never</span>}</td>
                  <td className="mono small">{key.allowed_ips.length ? key.allowed_ips.join(', ') : <span className="muted">Any</span>}</td>
                  <td>
                    <div className="row">
                      {key.created_by.id === session.user.id && !key.revoked_at ? (
                        <button type="button" className="btn btn-small" aria-label={`Rotate ${key.name}`} onClick={() => (setNotice(null), setRotating(key))}>
                          Rotate
                        </button>
                      ) : null}
                      <button type="button" className="btn btn-small btn-danger" aria-label={`Revoke ${key.name}`} onClick={() => (setNotice(null), setRevoking(key))}>
                        Revoke
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {creating ? (
        <CreateKeyDialog
          slug={slug}
          onClose={() => setCreating(false)}
          onCreated={(key, name) => {
            setCreating(false);
            setRevealed({ secret: key, name, rotated: false });
            void refresh();
          }}
        />
      ) : null}
      {rotating ? (
        <RotateKeyDialog
          slug={slug}
          apiKey={rotating}
          onClose={() => setRotating(null)}
          onRotated={(key) => {
            setRevealed({ secret: key, name: rotating.name, rotated: true });
            setRotating(null);
            void refresh();
          }}
        />
      ) : null}
      {revealed ? <RevealKeyDialog {...revealed} onClose={() => setRevealed(null)} /> : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          description="Every request with this key fails from the next one on, on every server. This cannot be undone."
          confirmLabel="Revoke key"
          danger
          busy={revoke.busy}
          error={revoke.formError}
          onConfirm={() => void revoke.run()}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </div>
  );
}

function CreateKeyDialog({ slug, onClose, onCreated }: { slug: string; onClose: () => void; onCreated: (key: string, name: string) => void }) {
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [addresses, setAddresses] = useState('');
  const create = useSubmit(
    () =>
      call(
        api.POST('/api/v1/organizations/{org}/api-keys', {
          params: { path: { org: slug } },
          body: {
            name,
            ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
            ...(addresses.trim() ? { allowed_ips: parseAddressList(addresses) } : {}),
          },
        }),
      ),
    (answer) => onCreated(answer.data.key, answer.data.name),
  );
  return (
    <Dialog title="Create API Key" description="The key is shown once, right after you create it." onClose={onClose}>
      <form onSubmit={create.run} noValidate>
        <TextField label="Name" autoFocus value={name} onChange={(e) => setName(e.target.value)} hint="What uses it, e.g. “CI deploy”." error={create.fieldError('name')} />
        <TextField label="Expires (optional)" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} hint="Leave empty for a key that does not expire." error={create.fieldError('expires_at')} />
        <TextAreaField
          label="Allowed IPs (optional)"
          rows={2}
          value={addresses}
          onChange={(e) => setAddresses(e.target.value)}
          hint="Addresses or CIDR ranges, separated by commas or lines. Empty: any address."
          error={create.fieldError('allowed_ips')}
        />
        <FormError message={create.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const OVERLAP_OPTIONS = [
  { value: '0', label: 'Stop working now' },
  { value: '3600', label: 'Keep working for 1 hour' },
  { value: '86400', label: 'Keep working for 24 hours' },
  { value: '604800', label: 'Keep working for 7 days' },
];

function RotateKeyDialog({ slug, apiKey, onClose, onRotated }: { slug: string; apiKey: ApiKey; onClose: () => void; onRotated: (key: string) => void }) {
  const [overlap, setOverlap] = useState('3600');
  const rotate = useSubmit(
    () =>
      call(
        api.POST('/api/v1/organizations/{org}/api-keys/{id}/rotate', {
          params: { path: { org: slug, id: apiKey.id } },
          body: { previous_expires_in_seconds: Number(overlap) },
        }),
      ),
    (answer) => onRotated(answer.data.key),
  );
  return (
    <Dialog title={`Rotate ${apiKey.name}?`} description="A new key replaces this one. Give the old key time to be swapped out where it is used." onClose={onClose}>
      <form onSubmit={rotate.run} noValidate>
        <SelectField label="The old key" value={overlap} onChange={(e) => setOverlap(e.target.value)} options={OVERLAP_OPTIONS} />
        <FormError message={rotate.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={rotate.busy}>
            Rotate key
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The new key, this once: with Copy, and a plain warning that it cannot be shown again. */
function RevealKeyDialog({ secret, name, rotated, onClose }: { secret: string; name: string; rotated: boolean; onClose: () => void }) {
  return (
    <Dialog title={rotated ? `New key for ${name}` : `API key ${name} created`} onClose={onClose}>
      <Notice kind="warning">Copy the key now: it is shown only this once. FuncSpec keeps only a hash of it.</Notice>
      <p className="secret" aria-label="New API key">
        {secret}
      </p>
      <p className="small muted">Send it in the X-Api-Key header. {rotated ? 'The old key stops working when you chose.' : ''}</p>
      <div className="dialog-actions">
        <CopyButton text={secret} />
        <button type="button" className="btn btn-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
