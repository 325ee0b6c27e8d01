import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { refreshSession } from '../auth/session';
import { Dialog } from '../ui/dialog';
import { FormError, TextField, useSubmit } from '../ui/forms';

export function CreateOrganizationDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useSubmit(
    () => call(api.POST('/api/v1/organizations', { body: { name, ...(slug.trim() ? { slug: slug.trim() } : {}) } })),
    async (answer) => {
      await refreshSession(queryClient);
      onClose();
      navigate(`/orgs/${answer.data.slug}`);
    },
  );
  return (
    <Dialog title="Create organization" description="Organizations hold projects, members and API keys. You will be its owner." onClose={onClose}>
      <form onSubmit={create.run} noValidate>
        <TextField label="Name" required autoFocus value={name} onChange={(e) => setName(e.target.value)} error={create.fieldError('name')} />
        <TextField
          label="Slug (optional)"
          hint="Used in addresses; made from the name when left empty."
          value={slug}
          onChange={(e) => setSlug(e.target.value)}
          error={create.fieldError('slug')}
        />
        <FormError message={create.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.busy}>
            Create organization
          </button>
        </div>
      </form>
    </Dialog>
  );
}
