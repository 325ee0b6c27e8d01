import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiProblem, call, messageOf } from '../api/client';
import { usePageTitle } from '../ui/brand';
import { ConfirmDialog } from '../ui/dialog';
import { LoadError, Loading, Notice } from '../ui/feedback';
import { SelectField } from '../ui/forms';
import { formatDateTime } from '../ui/format';
import { ItemFieldsForm, tagsOf } from './item-form';
import { Markdown } from './markdown';
import {
  canAtLeast,
  options,
  PRIORITY_LABELS,
  STATE_LABELS,
  STATUS_LABELS,
  TYPE_LABELS,
  useProject,
  useProjectId,
  useProjectRole,
  type Project,
  type SpecItem,
} from './shared';

export function ItemPage() {
  const projectId = useProjectId();
  const { item: ref } = useParams();
  const project = useProject(projectId);
  const item = useQuery({
    queryKey: ['item', projectId, ref],
    queryFn: () => call(api.GET('/api/v1/projects/{id}/spec/items/{item}', { params: { path: { id: projectId, item: ref! } } })),
  });
  if (project.isPending || item.isPending) return <Loading />;
  if (project.isError) return <LoadError error={project.error} />;
  if (item.isError) return <LoadError error={item.error} />;
  return <Item project={project.data.data} item={item.data.data} allowed={item.data.meta.allowed_transitions} reload={() => item.refetch()} />;
}

function Item({
  project,
  item,
  allowed,
  reload,
}: {
  project: Project;
  item: SpecItem;
  allowed: { state: string[]; implementation_status: string[] };
  reload: () => Promise<unknown>;
}) {
  usePageTitle(`${item.permalink} ${item.title}`);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const role = useProjectRole(project);
  const canEdit = canAtLeast(role, 'editor');
  const [editing, setEditing] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const path = { id: project.id, item: item.permalink };
  const ifMatch = { 'If-Match': `"${item.version}"` };

  async function refreshAll() {
    await reload();
    await queryClient.invalidateQueries({ queryKey: ['items', project.id] });
  }
  async function save(fields: { title: string; description: string; priority: keyof typeof PRIORITY_LABELS; tags: string }) {
    setConflict(false);
    try {
      await call(
        api.PATCH('/api/v1/projects/{id}/spec/items/{item}', {
          params: { path },
          headers: ifMatch,
          body: { title: fields.title, description: fields.description, priority: fields.priority, tags: tagsOf(fields.tags) },
        }),
      );
    } catch (caught) {
      if (caught instanceof ApiProblem && caught.code === 'VERSION_CONFLICT') return setConflict(true); // the form keeps the person's text
      throw caught;
    }
    setEditing(false);
    setNotice('Saved.');
    await refreshAll();
  }
  async function move(kind: 'state' | 'implementation_status', to: string) {
    setError(null);
    setNotice(null);
    try {
      if (kind === 'state')
        await call(api.POST('/api/v1/projects/{id}/spec/items/{item}/transition', { params: { path }, headers: ifMatch, body: { state: to as never } }));
      else
        await call(
          api.POST('/api/v1/projects/{id}/spec/items/{item}/transition_implementation', {
            params: { path },
            headers: ifMatch,
            body: { implementation_status: to as never },
          }),
        );
      setNotice(
        kind === 'state' ? `Moved to ${STATE_LABELS[to as keyof typeof STATE_LABELS]}.` : `Implementation: ${STATUS_LABELS[to as keyof typeof STATUS_LABELS]}.`,
      );
    } catch (caught) {
      setError(messageOf(caught));
    }
    await refreshAll();
  }
  async function remove() {
    try {
      await call(api.DELETE('/api/v1/projects/{id}/spec/items/{item}', { params: { path }, headers: ifMatch }));
      await queryClient.invalidateQueries({ queryKey: ['items', project.id] });
      navigate(`/projects/${project.id}`, { replace: true });
    } catch (caught) {
      setDeleting(false);
      setError(messageOf(caught));
    }
  }

  return (
    <>
      <div className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link to={`/orgs/${project.organization.slug}`}>{project.organization.name}</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> /{' '}
            <span className="mono">{item.permalink}</span>
          </div>
          <h1>
            <span className="mono muted">{item.permalink}</span> {item.title}
          </h1>
        </div>
        {canEdit && !editing ? (
          <div className="row">
            <button type="button" className="btn" onClick={() => (setNotice(null), setEditing(true))}>
              Edit
            </button>
            <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </div>
        ) : null}
      </div>
      {notice ? (
        <Notice kind="success" live>
          {notice}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div className="two-col">
        <div className="card">
          {editing ? (
            <>
              {conflict ? (
                <div className="alert alert-error" role="alert">
                  <p>Someone else changed this item while you were editing it (you had version {item.version}). Your text is still in the form below.</p>
                  <button type="button" className="btn btn-small" onClick={() => void reload().then(() => setConflict(false))}>
                    Reload the latest version
                  </button>
                </div>
              ) : null}
              <ItemFieldsForm
                key={item.version}
                initial={{ title: item.title, description: item.description, priority: item.priority, tags: item.tags.join(', ') }}
                submitLabel="Save changes"
                onSubmit={save}
                onCancel={() => (setEditing(false), setConflict(false))}
              />
            </>
          ) : item.description.trim() ? (
            <Markdown text={item.description} />
          ) : (
            <p className="muted">No description yet.</p>
          )}
        </div>
        <aside className="card item-facts" aria-label="Item details">
          <dl className="facts">
            <dt>Type</dt>
            <dd>{TYPE_LABELS[item.type_of]}</dd>
            <dt>Priority</dt>
            <dd>{PRIORITY_LABELS[item.priority]}</dd>
            <dt>State</dt>
            <dd>
              <span className="badge badge-accent">{STATE_LABELS[item.state]}</span>
            </dd>
            <dt>Implementation</dt>
            <dd>{STATUS_LABELS[item.implementation_status]}</dd>
            <dt>Tags</dt>
            <dd>{item.tags.length ? item.tags.join(', ') : '—'}</dd>
            <dt>Version</dt>
            <dd>{item.version}</dd>
            <dt>Updated</dt>
            <dd>{formatDateTime(item.updated_at)}</dd>
          </dl>
          {canEdit ? (
            <>
              <h2 className="small-heading">Review</h2>
              <div className="transitions">
                {allowed.state.map((to) => (
                  <button key={to} type="button" className="btn btn-small" onClick={() => void move('state', to)}>
                    Move to {STATE_LABELS[to as keyof typeof STATE_LABELS]}
                  </button>
                ))}
              </div>
              <h2 className="small-heading">Implementation</h2>
              <div className="transitions">
                {allowed.implementation_status.map((to) => (
                  <button key={to} type="button" className="btn btn-small" onClick={() => void move('implementation_status', to)}>
                    Mark {STATUS_LABELS[to as keyof typeof STATUS_LABELS]}
                  </button>
                ))}
              </div>
              {item.state !== 'accepted' ? <p className="small muted">Work can start once the item is accepted.</p> : null}
            </>
          ) : null}
        </aside>
      </div>
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${item.permalink}?`}
          description="The item is deleted; its children stay, without a parent. Its permalink is never used again."
          confirmLabel="Delete item"
          danger
          onConfirm={() => void remove()}
          onClose={() => setDeleting(false)}
        />
      ) : null}
    </>
  );
}

export function NewItemPage() {
  usePageTitle('New item');
  const projectId = useProjectId();
  const project = useProject(projectId);
  const navigate = useNavigate();
  const [type, setType] = useState<'functional' | 'technical'>('functional');
  const [start, setStart] = useState<'draft' | 'inbox'>('draft');
  if (project.isPending) return <Loading />;
  if (project.isError) return <LoadError error={project.error} />;
  const p = project.data.data;
  return (
    <>
      <div className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link to={`/projects/${p.id}`}>{p.name}</Link>
          </div>
          <h1>New item</h1>
        </div>
      </div>
      <div className="card">
        <ItemFieldsForm
          initial={{ title: '', description: '', priority: 'medium', tags: '' }}
          submitLabel="Create item"
          extra={
            <div className="inline-fields form-start">
              <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value as 'functional' | 'technical')} options={options(TYPE_LABELS)} />
              <SelectField
                label="Start in"
                value={start}
                onChange={(e) => setStart(e.target.value as 'draft' | 'inbox')}
                options={[
                  { value: 'draft', label: 'Draft' },
                  { value: 'inbox', label: 'Inbox (ready for review)' },
                ]}
              />
            </div>
          }
          onSubmit={async (fields) => {
            const created = await call(
              api.POST('/api/v1/projects/{id}/spec/items', {
                params: { path: { id: p.id } },
                body: {
                  type_of: type,
                  state: start,
                  title: fields.title,
                  description: fields.description,
                  priority: fields.priority,
                  tags: tagsOf(fields.tags),
                },
              }),
            );
            navigate(`/projects/${p.id}/items/${created.data.permalink}`);
          }}
          onCancel={() => navigate(`/projects/${p.id}`)}
        />
      </div>
    </>
  );
}
