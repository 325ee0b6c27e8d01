import { TableFrame } from '../ui/table-frame';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { usePageTitle } from '../ui/brand';
import { EmptyState, LoadError, Loading } from '../ui/feedback';
import { SelectField, TextField } from '../ui/forms';
import { formatDate } from '../ui/format';
import { Pager } from '../ui/pager';
import {
  canAtLeast,
  options,
  PRIORITY_LABELS,
  ProjectHeader,
  STATE_LABELS,
  STATUS_LABELS,
  TYPE_LABELS,
  useProject,
  useProjectId,
  useProjectRole,
  type Project,
} from './shared';

const PER = 25;
const SORTS = [
  { value: 'created_at', label: 'Oldest first' },
  { value: '-created_at', label: 'Newest first' },
  { value: '-updated_at', label: 'Recently updated' },
  { value: 'title', label: 'Title A–Z' },
  { value: '-priority', label: 'Priority, highest first' },
  { value: 'permalink', label: 'Permalink' },
  { value: 'state', label: 'State' },
  { value: 'implementation_status', label: 'Implementation status' },
];
const FILTERS = ['type_of', 'state', 'implementation_status', 'tag', 'q', 'sort'] as const;

/** A project's spec items: filters, search, sort and pages, all kept in the address so a view can be shared. */
export function ProjectPage() {
  const id = useProjectId();
  const project = useProject(id);
  if (project.isPending) return <Loading />;
  if (project.isError) return <LoadError error={project.error} />;
  return <Items project={project.data.data} />;
}

function Items({ project }: { project: Project }) {
  usePageTitle(project.name);
  const role = useProjectRole(project);
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page') ?? 1) || 1);
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const [search, setSearch] = useState(filter.q);
  // Typing in the search box updates the list after a short pause, not on every key.
  useEffect(() => {
    const timer = setTimeout(() => search !== filter.q && update('q', search), 300);
    return () => clearTimeout(timer);
  });
  function update(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete('page');
    setParams(next, { replace: true });
  }
  const query = Object.fromEntries(Object.entries(filter).filter(([, value]) => value));
  const items = useQuery({
    queryKey: ['items', project.id, query, page],
    placeholderData: keepPreviousData,
    queryFn: () => call(api.GET('/api/v1/projects/{id}/spec/items', { params: { path: { id: project.id }, query: { ...query, page, per: PER } as never } })),
  });
  const filtered = Object.keys(query).some((k) => k !== 'sort');
  const newItem = canAtLeast(role, 'editor') ? (
    <Link className="btn btn-primary" to={`/projects/${project.id}/items/new`}>
      New item
    </Link>
  ) : null;

  return (
    <>
      <ProjectHeader project={project} actions={newItem} />
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is not yet announced by every screen reader */}
      <form className="filters" role="search" aria-label="Filter items" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Search" type="search" placeholder="Title or description" value={search} onChange={(e) => setSearch(e.target.value)} />
        <SelectField
          label="Type"
          value={filter.type_of}
          onChange={(e) => update('type_of', e.target.value)}
          options={[{ value: '', label: 'Any type' }, ...options(TYPE_LABELS)]}
        />
        <SelectField
          label="State"
          value={filter.state}
          onChange={(e) => update('state', e.target.value)}
          options={[{ value: '', label: 'Any state' }, ...options(STATE_LABELS)]}
        />
        <SelectField
          label="Implementation status"
          value={filter.implementation_status}
          onChange={(e) => update('implementation_status', e.target.value)}
          options={[{ value: '', label: 'Any status' }, ...options(STATUS_LABELS)]}
        />
        <TextField label="Tag" value={filter.tag} onChange={(e) => update('tag', e.target.value.trim())} />
        <SelectField
          label="Sort"
          value={filter.sort || 'created_at'}
          onChange={(e) => update('sort', e.target.value === 'created_at' ? '' : e.target.value)}
          options={SORTS}
        />
      </form>
      {items.isPending ? (
        <Loading />
      ) : items.isError ? (
        <LoadError error={items.error} />
      ) : items.data.data.length === 0 ? (
        filtered ? (
          <EmptyState title="No items match">Change the filters or the search.</EmptyState>
        ) : (
          <EmptyState title="No spec items yet" action={newItem}>
            Functional items say what the software must do; technical items say how.
          </EmptyState>
        )
      ) : (
        <>
          <TableFrame label="Spec items">
            <table>
              <caption className="sr-only">Spec items</caption>
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col">Title</th>
                  <th scope="col">Priority</th>
                  <th scope="col">State</th>
                  <th scope="col">Implementation</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {items.data.data.map((item) => (
                  <tr key={item.id}>
                    <td className="mono">{item.permalink}</td>
                    <td className="item-title-cell">
                      <Link to={`/projects/${project.id}/items/${item.permalink}`}>{item.title}</Link>
                    </td>
                    <td>{PRIORITY_LABELS[item.priority]}</td>
                    <td>
                      <span className="badge">{STATE_LABELS[item.state]}</span>
                    </td>
                    <td>{STATUS_LABELS[item.implementation_status]}</td>
                    <td>
                      <span className="tags">
                        {item.tags.map((tag) => (
                          <span key={tag} className="badge">
                            {tag}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td>{formatDate(item.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
          <Pager
            page={page}
            per={PER}
            total={items.data.meta.total}
            label="Item pages"
            onPage={(n) => {
              const next = new URLSearchParams(params);
              next.set('page', String(n));
              setParams(next);
            }}
          />
        </>
      )}
    </>
  );
}
