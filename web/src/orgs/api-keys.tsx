import { TableFrame } from '../ui/table-frame';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, call } from '../api/client';
import type { paths } from '../api/schema';
import { useSignedIn } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { CopyButton } from '../ui/copy';
import { ConfirmDialog, Dialog } from '../ui/dialog';
import { EmptyState, LoadError, Loading, Notice } from '../ui/feedback';
import { CheckboxField, FormError, SelectField, TextAreaField, TextField, useSubmit } from '../ui/forms';
import { formatDate, formatDateTime, relativeTime } from '../ui/format';
import { useOrgSettings } from './settings-layout';

type ApiKey = paths['/api/v1/organizations/{org}/api-keys']['get']['responses'][200]['content']['application/json']['data'][number];
type Grant = ApiKey['scopes'][number];
type Scope = Exclude<Grant, '*'>;

/** The scopes a key can be limited to, in the API's order, in words (the type makes a new scope a build error here until it has words). */
const SCOPE_WORDS: Record<Scope, string> = {
  'org:read': 'Read the organization, members, invitations, keys and usage',
  'org:write': 'Change or delete the organization, create organizations',
  'members:write': 'Invite, change roles, remove members, change project teams',
  'keys:write': 'Create, rotate and revoke API keys',
  'projects:read': 'Read projects and their teams',
  'projects:write': 'Create, rename and delete projects',
  'items:read': 'Read and search spec items',
  'items:write': 'Create, edit and move spec items',
  'credits:read': 'Read credits and billing',
  'credits:write': 'Spend credits',
  'audit:read': 'Read the audit log',
};
const SCOPES = Object.keys(SCOPE_WORDS) as Scope[];

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
                <th scope="col">Access</th>
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
                  <td className="small">
                    <KeyAccess apiKey={key} />
                  </td>
                  <td>
                    <div className="row">
                      {key.created_by.id === session.user.id && !key.revoked_at ? (
                        <button type="button" className="btn btn-small" aria-label={`Rotate ${key.name}`} onClick={() => (setNotice(null), setRotating(key))}>
                          Rotate
                        </button>
                      ) : null}
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Revoke ${key.name}`}
                        onClick={() => (setNotice(null), setRevoking(key))}
                      >
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
          orgId={membership.organization.id}
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

/** What a key may do: everything, or its scopes; and where: every project, or the ones it names (by name when known). */
function KeyAccess({ apiKey }: { apiKey: ApiKey }) {
  const { membership } = useOrgSettings();
  const projects = useOrgProjects(membership.organization.id, apiKey.project_ids !== null);
  const names = new Map((projects.data?.data ?? []).map((project) => [project.id, project.name]));
  return (
    <>
      <div className={apiKey.scopes.includes('*') ? 'muted' : 'mono'}>{apiKey.scopes.includes('*') ? 'Everything' : apiKey.scopes.join(', ')}</div>
      <div className="muted">{apiKey.project_ids === null ? 'All projects' : apiKey.project_ids.map((id) => names.get(id) ?? id).join(', ')}</div>
    </>
  );
}

/** The organization's projects (the same query as its overview page, so they share the cache). */
function useOrgProjects(orgId: string, enabled = true) {
  return useQuery({
    queryKey: ['projects', orgId],
    queryFn: () => call(api.GET('/api/v1/projects', { params: { query: { organization: orgId, per: 100 } } })),
    enabled,
  });
}

function toggle<T>(list: T[], value: T, on: boolean): T[] {
  return on ? [...list, value] : list.filter((item) => item !== value);
}

function CreateKeyDialog({
  slug,
  orgId,
  onClose,
  onCreated,
}: {
  slug: string;
  orgId: string;
  onClose: () => void;
  onCreated: (key: string, name: string) => void;
}) {
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [addresses, setAddresses] = useState('');
  const [limitScopes, setLimitScopes] = useState(false);
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [limitProjects, setLimitProjects] = useState(false);
  const [projectIds, setProjectIds] = useState<string[]>([]);
  const projects = useOrgProjects(orgId, limitProjects);
  const create = useSubmit(
    () =>
      call(
        api.POST('/api/v1/organizations/{org}/api-keys', {
          params: { path: { org: slug } },
          body: {
            name,
            ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
            ...(addresses.trim() ? { allowed_ips: parseAddressList(addresses) } : {}),
            // In the API's order, so the key shows its scopes as the server lists them.
            ...(limitScopes ? { scopes: SCOPES.filter((scope) => scopes.includes(scope)) } : {}),
            ...(limitProjects ? { project_ids: projectIds } : {}),
          },
        }),
      ),
    (answer) => onCreated(answer.data.key, answer.data.name),
  );
  const scopesError = create.fieldError('scopes');
  const projectsError = create.fieldError('project_ids');
  return (
    <Dialog title="Create API Key" description="The key is shown once, right after you create it." onClose={onClose}>
      <form onSubmit={create.run} noValidate>
        <TextField
          label="Name"
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="What uses it, e.g. “CI deploy”."
          error={create.fieldError('name')}
        />
        <TextField
          label="Expires (optional)"
          type="date"
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
          hint="Leave empty for a key that does not expire."
          error={create.fieldError('expires_at')}
        />
        <TextAreaField
          label="Allowed IPs (optional)"
          rows={2}
          value={addresses}
          onChange={(e) => setAddresses(e.target.value)}
          hint="Addresses or CIDR ranges, separated by commas or lines. Empty: any address."
          error={create.fieldError('allowed_ips')}
        />
        <fieldset className="field" aria-describedby={scopesError ? 'key-scopes-error' : undefined}>
          <legend>What it may do</legend>
          <RadioChoice name="key-scopes" checked={!limitScopes} onChange={() => setLimitScopes(false)} label="Everything you may do" />
          <RadioChoice name="key-scopes" checked={limitScopes} onChange={() => setLimitScopes(true)} label="Only what is ticked below" />
          {limitScopes ? (
            <div className="choices">
              {SCOPES.map((scope) => (
                <CheckboxField
                  key={scope}
                  label={`${scope}: ${SCOPE_WORDS[scope]}`}
                  checked={scopes.includes(scope)}
                  onChange={(e) => setScopes(toggle(scopes, scope, e.target.checked))}
                />
              ))}
            </div>
          ) : null}
          {scopesError ? (
            <span className="field-error" id="key-scopes-error">
              {scopesError}
            </span>
          ) : null}
        </fieldset>
        <fieldset className="field" aria-describedby={projectsError ? 'key-projects-error' : undefined}>
          <legend>Projects it reaches</legend>
          <RadioChoice name="key-projects" checked={!limitProjects} onChange={() => setLimitProjects(false)} label="Every project" />
          <RadioChoice name="key-projects" checked={limitProjects} onChange={() => setLimitProjects(true)} label="Only the projects ticked below" />
          {limitProjects ? (
            <div className="choices">
              {projects.isPending ? (
                <Loading />
              ) : projects.isError ? (
                <LoadError error={projects.error} />
              ) : projects.data.data.length === 0 ? (
                <p className="muted small">This organization has no projects yet.</p>
              ) : (
                projects.data.data.map((project) => (
                  <CheckboxField
                    key={project.id}
                    label={project.name}
                    checked={projectIds.includes(project.id)}
                    onChange={(e) => setProjectIds(toggle(projectIds, project.id, e.target.checked))}
                  />
                ))
              )}
            </div>
          ) : null}
          {projectsError ? (
            <span className="field-error" id="key-projects-error">
              {projectsError}
            </span>
          ) : null}
        </fieldset>
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

function RadioChoice({ name, checked, onChange, label }: { name: string; checked: boolean; onChange: () => void; label: string }) {
  const id = useId();
  return (
    <div className="check-row">
      <input id={id} type="radio" name={name} checked={checked} onChange={onChange} />
      <label htmlFor={id}>{label}</label>
    </div>
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
    <Dialog
      title={`Rotate ${apiKey.name}?`}
      description="A new key replaces this one. Give the old key time to be swapped out where it is used."
      onClose={onClose}
    >
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
      {/* biome-ignore lint/a11y/useAriaPropsSupportedByRole: the browser tests and screen readers find the key by this name */}
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
