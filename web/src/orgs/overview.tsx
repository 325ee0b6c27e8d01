import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { atLeast, useCurrentMembership } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { Dialog } from '../ui/dialog';
import { EmptyState, LoadError, Loading } from '../ui/feedback';
import { FormError, TextAreaField, TextField, useSubmit } from '../ui/forms';

/** An organization's home: its projects (the ones the person may see), and "New project" for admins. */
export function OrganizationPage() {
  const membership = useCurrentMembership();
  if (!membership) return <Navigate to="/dashboard" replace />;
  return <Projects org={membership.organization} canCreate={atLeast(membership.role, 'admin')} />;
}

function Projects({ org, canCreate }: { org: { id: string; name: string; slug: string }; canCreate: boolean }) {
  usePageTitle(org.name);
  const [creating, setCreating] = useState(false);
  const projects = useQuery({
    queryKey: ['projects', org.id],
    queryFn: () => call(api.GET('/api/v1/projects', { params: { query: { organization: org.id, per: 100 } } })),
  });
  const newProject = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      New project
    </button>
  );
  return (
    <>
      <div className="page-header">
        <div>
          <h1>{org.name}</h1>
          <p>Projects</p>
        </div>
        {canCreate ? newProject : null}
      </div>
      {projects.isPending ? (
        <Loading />
      ) : projects.isError ? (
        <LoadError error={projects.error} />
      ) : projects.data.data.length === 0 ? (
        <EmptyState title="No projects yet" action={canCreate ? newProject : undefined}>
          {canCreate ? 'A project holds a specification: its functional and technical items.' : "An admin of the organization can add you to a project's team."}
        </EmptyState>
      ) : (
        <ul className="grid-cards plain-list">
          {projects.data.data.map((project) => (
            <li key={project.id} className="card">
              <h2 className="card-title">
                <Link to={`/projects/${project.id}`}>{project.name}</Link>
              </h2>
              {project.description ? <p className="muted small clamp">{project.description}</p> : null}
              <p className="small muted">
                {project.stats.functional_count} functional · {project.stats.technical_count} technical · {project.stats.accepted_count} accepted
              </p>
            </li>
          ))}
        </ul>
      )}
      {creating ? <NewProjectDialog orgId={org.id} onClose={() => setCreating(false)} /> : null}
    </>
  );
}

function NewProjectDialog({ orgId, onClose }: { orgId: string; onClose: () => void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [description, setDescription] = useState('');
  const create = useSubmit(
    () =>
      call(
        api.POST('/api/v1/projects', {
          body: { name, organization_id: orgId, ...(slug.trim() ? { slug: slug.trim() } : {}), ...(description.trim() ? { description } : {}) },
        }),
      ),
    (answer) => navigate(`/projects/${answer.data.id}`),
  );
  return (
    <Dialog title="New project" onClose={onClose}>
      <form onSubmit={create.run} noValidate>
        <TextField label="Name" required autoFocus value={name} onChange={(e) => setName(e.target.value)} error={create.fieldError('name')} />
        <TextField
          label="Slug (optional)"
          hint="Made from the name when left empty."
          value={slug}
          onChange={(e) => setSlug(e.target.value)}
          error={create.fieldError('slug')}
        />
        <TextAreaField
          label="Description (optional)"
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={create.fieldError('description')}
        />
        <FormError message={create.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.busy}>
            Create project
          </button>
        </div>
      </form>
    </Dialog>
  );
}
