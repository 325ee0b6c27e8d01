import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { refreshSession } from '../auth/session';
import { atLeast } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { ConfirmDialog } from '../ui/dialog';
import { LoadError, Loading, Notice } from '../ui/feedback';
import { CheckboxField, FormError, TextField, useSubmit } from '../ui/forms';
import { formatDate } from '../ui/format';
import { useOrganization, useOrgSettings } from './settings-layout';

export function GeneralSettingsPage() {
  usePageTitle('Organization Settings');
  const { membership, slug } = useOrgSettings();
  const organization = useOrganization(slug);
  if (organization.isPending) return <Loading />;
  if (organization.isError) return <LoadError error={organization.error} />;
  const org = organization.data.data;
  return (
    <>
      <NameAndSlug org={org} canEdit={atLeast(membership.role, 'admin')} />
      <KeyHygieneMails org={org} canEdit={atLeast(membership.role, 'admin')} />
      {membership.role === 'owner' ? <DeleteOrganization org={org} /> : null}
    </>
  );
}

function NameAndSlug({ org, canEdit }: { org: { name: string; slug: string; plan: string; created_at: string }; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(org.name);
  const [slug, setSlug] = useState(org.slug);
  const [saved, setSaved] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: an edit of either field clears the saved notice
  useEffect(() => setSaved(false), [name, slug]);
  const save = useSubmit(
    () => call(api.PATCH('/api/v1/organizations/{org}', { params: { path: { org: org.slug } }, body: { name, slug } })),
    async (answer) => {
      await refreshSession(queryClient);
      await queryClient.invalidateQueries({ queryKey: ['organization'] });
      setSaved(true);
      if (answer.data.slug !== org.slug) navigate(`/orgs/${answer.data.slug}/settings`, { replace: true });
    },
    { SLUG_TAKEN: 'slug' },
  );
  return (
    <div className="card">
      <h2>General</h2>
      <form onSubmit={save.run} noValidate>
        <TextField label="Name" value={name} readOnly={!canEdit} onChange={(e) => setName(e.target.value)} error={save.fieldError('name')} />
        <TextField
          label="Slug"
          value={slug}
          readOnly={!canEdit}
          onChange={(e) => setSlug(e.target.value)}
          hint="Names the organization in addresses and in the CLI (lowercase letters, digits and hyphens)."
          error={save.fieldError('slug')}
        />
        <p className="small muted">
          Plan {org.plan} · created {formatDate(org.created_at)}
        </p>
        <FormError message={save.formError} />
        {saved ? (
          <Notice kind="success" live>
            Saved.
          </Notice>
        ) : null}
        {canEdit ? (
          <button type="submit" className="btn btn-primary" disabled={save.busy}>
            Save changes
          </button>
        ) : (
          <p className="small muted">Only owners and admins can change these.</p>
        )}
      </form>
    </div>
  );
}

/** The two key hygiene mails, each of which an admin can turn off for the organization. */
function KeyHygieneMails({ org, canEdit }: { org: { slug: string; key_expiry_mails: boolean; unused_keys_digest: boolean }; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [expiry, setExpiry] = useState(org.key_expiry_mails);
  const [digest, setDigest] = useState(org.unused_keys_digest);
  const [saved, setSaved] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of either switch clears the saved notice
  useEffect(() => setSaved(false), [expiry, digest]);
  const save = useSubmit(
    () =>
      call(api.PATCH('/api/v1/organizations/{org}', { params: { path: { org: org.slug } }, body: { key_expiry_mails: expiry, unused_keys_digest: digest } })),
    async () => {
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: ['organization'] });
    },
  );
  return (
    <div className="card">
      <h2>Key hygiene mails</h2>
      <form onSubmit={save.run} noValidate>
        <CheckboxField
          label="Mail a key's owner a week before the key expires"
          checked={expiry}
          disabled={!canEdit}
          onChange={(e) => setExpiry(e.target.checked)}
        />
        <CheckboxField
          label="Weekly digest of keys unused for 90 days"
          hint="Sent to the organization's owners and admins, so forgotten keys get revoked."
          checked={digest}
          disabled={!canEdit}
          onChange={(e) => setDigest(e.target.checked)}
        />
        <FormError message={save.formError} />
        {saved ? (
          <Notice kind="success" live>
            Saved.
          </Notice>
        ) : null}
        {canEdit ? (
          <button type="submit" className="btn btn-primary" disabled={save.busy}>
            Save mail settings
          </button>
        ) : (
          <p className="small muted">Only owners and admins can change these.</p>
        )}
      </form>
    </div>
  );
}

function DeleteOrganization({ org }: { org: { name: string; slug: string } }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const remove = useSubmit(
    () => call(api.DELETE('/api/v1/organizations/{org}', { params: { path: { org: org.slug } } })),
    async () => {
      localStorage.removeItem('funcspec.organization');
      await refreshSession(queryClient);
      navigate('/dashboard', { replace: true });
    },
  );
  return (
    <div className="card danger-zone">
      <h2>Delete organization</h2>
      <p className="muted">Deletes its projects, spec items, API keys, invitations and credits. This cannot be undone.</p>
      <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
        Delete organization
      </button>
      {confirming ? (
        <ConfirmDialog
          title={`Delete ${org.name}?`}
          description="Everything in it is deleted at once, and its API keys stop working."
          confirmLabel="Delete organization"
          danger
          busy={remove.busy || typed !== org.slug}
          error={remove.formError}
          onConfirm={() => void remove.run()}
          onClose={() => setConfirming(false)}
        >
          <TextField label={`Type ${org.slug} to confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
