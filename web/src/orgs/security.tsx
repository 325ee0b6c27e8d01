import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client';
import { atLeast } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { LoadError, Loading, Notice } from '../ui/feedback';
import { FormError, TextAreaField, useSubmit } from '../ui/forms';
import { useOrganization, useOrgSettings } from './settings-layout';

export function SecurityPage() {
  usePageTitle('Security');
  const { membership, slug } = useOrgSettings();
  const organization = useOrganization(slug);
  if (organization.isPending) return <Loading />;
  if (organization.isError) return <LoadError error={organization.error} />;
  return (
    <AllowedIps key={organization.data.data.updated_at} slug={slug} current={organization.data.data.allowed_ips} canEdit={atLeast(membership.role, 'admin')} />
  );
}

function AllowedIps({ slug, current, canEdit }: { slug: string; current: string[]; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState(current.join('\n'));
  const [saved, setSaved] = useState(false);
  const save = useSubmit(
    () =>
      call(
        api.PATCH('/api/v1/organizations/{org}', {
          params: { path: { org: slug } },
          body: { allowed_ips: text.split(/[\s,]+/).filter(Boolean) },
        }),
      ),
    async () => {
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: ['organization', slug] });
    },
  );
  return (
    <div className="card">
      <h2>Allowed IPs</h2>
      <p className="muted">
        When set, API keys of this organization work only from these addresses (IPv4 or IPv6, single addresses or CIDR ranges). Each key can narrow this
        further. Signing in on the web is not affected.
      </p>
      <form onSubmit={(e) => (setSaved(false), save.run(e))} noValidate>
        <TextAreaField
          label="Allowed IPs"
          rows={5}
          value={text}
          readOnly={!canEdit}
          onChange={(e) => setText(e.target.value)}
          hint="One per line, e.g. 203.0.113.7 or 10.0.0.0/8. Empty: any address."
          error={save.fieldError('allowed_ips')}
        />
        <FormError message={save.formError} />
        {saved ? (
          <Notice kind="success" live>
            Saved: it applies from the next request.
          </Notice>
        ) : null}
        {canEdit ? (
          <button type="submit" className="btn btn-primary" disabled={save.busy}>
            Save allowed IPs
          </button>
        ) : (
          <p className="small muted">Only owners and admins can change this list.</p>
        )}
      </form>
    </div>
  );
}
