import { TableFrame } from '../ui/table-frame';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { useSignedIn } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { ConfirmDialog } from '../ui/dialog';
import { EmptyState, LoadError, Loading, Notice } from '../ui/feedback';
import { FormError, SelectField, TextAreaField, TextField, useRowAction, useSubmit } from '../ui/forms';
import { canAtLeast, ProjectHeader, useProject, useProjectId, useProjectRole, type Project, type ProjectRole } from './shared';

const ROLES = [
  { value: 'viewer', label: 'Viewer (reads)' },
  { value: 'editor', label: 'Editor (writes items)' },
  { value: 'admin', label: 'Admin (settings and team)' },
];

export function ProjectSettingsPage() {
  const id = useProjectId();
  const project = useProject(id);
  if (project.isPending) return <Loading />;
  if (project.isError) return <LoadError error={project.error} />;
  return <Settings project={project.data.data} />;
}

function Settings({ project }: { project: Project }) {
  usePageTitle(`${project.name} settings`);
  const role = useProjectRole(project);
  const isAdmin = canAtLeast(role, 'admin');
  return (
    <>
      <ProjectHeader project={project} />
      <ProjectGeneral key={project.updated_at} project={project} canEdit={isAdmin} />
      <Team project={project} canManage={isAdmin} />
      {isAdmin ? <DeleteProject project={project} /> : null}
    </>
  );
}

function ProjectGeneral({ project, canEdit }: { project: Project; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(project.name);
  const [slug, setSlug] = useState(project.slug);
  const [description, setDescription] = useState(project.description ?? '');
  const [saved, setSaved] = useState(false);
  const save = useSubmit(
    () => call(api.PATCH('/api/v1/projects/{id}', { params: { path: { id: project.id } }, body: { name, slug, description } })),
    async () => {
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: ['project', project.id] });
    },
    { SLUG_TAKEN: 'slug' },
  );
  return (
    <div className="card">
      <h2>Project</h2>
      <form onSubmit={(e) => (setSaved(false), save.run(e))} noValidate>
        <TextField label="Name" readOnly={!canEdit} value={name} onChange={(e) => setName(e.target.value)} error={save.fieldError('name')} />
        <TextField label="Slug" readOnly={!canEdit} value={slug} onChange={(e) => setSlug(e.target.value)} error={save.fieldError('slug')} />
        <TextAreaField
          label="Description"
          rows={3}
          readOnly={!canEdit}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={save.fieldError('description')}
        />
        <FormError message={save.formError} />
        {saved ? (
          <Notice kind="success" live>
            Saved.
          </Notice>
        ) : null}
        {canEdit ? (
          <button type="submit" className="btn btn-primary" disabled={save.busy}>
            Save project
          </button>
        ) : (
          <p className="small muted">Only the project's admins can change these.</p>
        )}
      </form>
    </div>
  );
}

function Team({ project, canManage }: { project: Project; canManage: boolean }) {
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<ProjectRole>('editor');
  const team = useQuery({
    queryKey: ['team', project.id],
    queryFn: () => call(api.GET('/api/v1/projects/{id}/members', { params: { path: { id: project.id }, query: { per: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['team', project.id] });
  const rowAction = useRowAction(refresh);
  const add = useSubmit(
    () => call(api.POST('/api/v1/projects/{id}/members', { params: { path: { id: project.id } }, body: { email, role } })),
    async () => {
      setEmail('');
      await refresh();
    },
    { MEMBER_NOT_FOUND: 'email', ALREADY_PROJECT_MEMBER: 'email' },
  );
  return (
    <div className="card">
      <div className="card-header">
        <div>
          <h2>Team</h2>
          <p className="muted small">
            People of {project.organization.name} with a role on this project. Organization owners and admins are admins of every project besides.
          </p>
        </div>
      </div>
      <FormError message={rowAction.error} />
      {team.isPending ? (
        <Loading />
      ) : team.isError ? (
        <LoadError error={team.error} />
      ) : team.data.data.length === 0 ? (
        <EmptyState title="Nobody is on the team yet">Add members of the organization below.</EmptyState>
      ) : (
        <TableFrame label="Project team">
          <table>
            <caption className="sr-only">Project team</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {team.data.data.map((m) => (
                <tr key={m.user.id}>
                  <td>{m.user.name ? `${m.user.name} (${m.user.email})` : m.user.email}</td>
                  <td>
                    {canManage ? (
                      <select
                        aria-label={`Role of ${m.user.email}`}
                        value={m.role}
                        onChange={(e) =>
                          void rowAction.run(() =>
                            call(
                              api.PATCH('/api/v1/projects/{id}/members/{user_id}', {
                                params: { path: { id: project.id, user_id: m.user.id } },
                                body: { role: e.target.value as ProjectRole },
                              }),
                            ),
                          )
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r.value} value={r.value}>
                            {r.label}
                          </option>
                        ))}
                      </select>
                    ) : (
                      m.role
                    )}
                  </td>
                  <td>
                    {canManage || m.user.id === session.user.id ? (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={m.user.id === session.user.id ? 'Leave the team' : `Remove ${m.user.email} from the team`}
                        onClick={() =>
                          void rowAction.run(() =>
                            call(api.DELETE('/api/v1/projects/{id}/members/{user_id}', { params: { path: { id: project.id, user_id: m.user.id } } })),
                          )
                        }
                      >
                        {m.user.id === session.user.id ? 'Leave' : 'Remove'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {canManage ? (
        <form className="inline-fields add-member" onSubmit={add.run} noValidate aria-label="Add to the team">
          <TextField label="Member's email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={add.fieldError('email')} />
          <SelectField label="Project role" value={role} onChange={(e) => setRole(e.target.value as ProjectRole)} options={ROLES} />
          <button type="submit" className="btn btn-primary" disabled={add.busy}>
            Add to team
          </button>
          <FormError message={add.formError} />
        </form>
      ) : null}
    </div>
  );
}

function DeleteProject({ project }: { project: Project }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useSubmit(
    () => call(api.DELETE('/api/v1/projects/{id}', { params: { path: { id: project.id } } })),
    async () => {
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      navigate(`/orgs/${project.organization.slug}`, { replace: true });
    },
  );
  return (
    <div className="card danger-zone">
      <h2>Delete project</h2>
      <p className="muted">Deletes the project and every spec item in it. This cannot be undone.</p>
      <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
        Delete project
      </button>
      {confirming ? (
        <ConfirmDialog
          title={`Delete ${project.name}?`}
          description="Its spec items are deleted with it."
          confirmLabel="Delete project"
          danger
          busy={remove.busy}
          error={remove.formError}
          onConfirm={() => void remove.run()}
          onClose={() => setConfirming(false)}
        />
      ) : null}
    </div>
  );
}
