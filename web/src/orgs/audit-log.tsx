import { TableFrame } from '../ui/table-frame';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client';
import { usePageTitle } from '../ui/brand';
import { EmptyState, LoadError, Loading } from '../ui/feedback';
import { SelectField, TextField } from '../ui/forms';
import { formatDateTime } from '../ui/format';
import { Pager } from '../ui/pager';
import { RoleGate, useOrgSettings } from './settings-layout';

const PER = 25;

interface Filters {
  actor: string;
  action: string;
  outcome: '' | 'success' | 'failure';
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { actor: '', action: '', outcome: '', from: '', to: '' };

export function AuditLogPage() {
  usePageTitle('Audit log');
  const { membership, slug } = useOrgSettings();
  return (
    <RoleGate needed="admin" what="Audit log" membership={membership}>
      <AuditLog slug={slug} />
    </RoleGate>
  );
}

function AuditLog({ slug }: { slug: string }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const entries = useQuery({
    queryKey: ['audit-log', slug, filters, page],
    placeholderData: keepPreviousData, // paging keeps the table in place instead of flashing a spinner
    queryFn: () =>
      call(
        api.GET('/api/v1/organizations/{org}/audit-log', {
          params: {
            path: { org: slug },
            query: {
              page,
              per: PER,
              ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
              ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
              ...(filters.outcome ? { outcome: filters.outcome } : {}),
              ...(filters.from ? { from: new Date(`${filters.from}T00:00:00`).toISOString() } : {}),
              ...(filters.to ? { to: new Date(`${filters.to}T23:59:59.999`).toISOString() } : {}),
            },
          },
        }),
      ),
  });
  const set = (field: keyof Filters) => (event: { target: { value: string } }) => setDraft({ ...draft, [field]: event.target.value });
  return (
    <div className="card">
      <div className="card-header">
        <div>
          <h2>Audit log</h2>
          <p className="muted small">Who did what, when, from which address, and whether it worked. Newest first.</p>
        </div>
      </div>
      <form
        className="filters"
        aria-label="Filter the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          setPage(1);
          setFilters(draft);
        }}
      >
        <TextField label="Actor" placeholder="e-mail or user id" value={draft.actor} onChange={set('actor')} />
        <TextField label="Action" placeholder="e.g. api_key.*" value={draft.action} onChange={set('action')} />
        <SelectField
          label="Outcome"
          value={draft.outcome}
          onChange={set('outcome')}
          options={[
            { value: '', label: 'Any' },
            { value: 'success', label: 'Success' },
            { value: 'failure', label: 'Failure' },
          ]}
        />
        <TextField label="From" type="date" value={draft.from} onChange={set('from')} />
        <TextField label="To" type="date" value={draft.to} onChange={set('to')} />
        <div className="row">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => (setDraft(NO_FILTERS), setFilters(NO_FILTERS), setPage(1))}>
            Clear
          </button>
        </div>
      </form>
      {entries.isPending ? (
        <Loading />
      ) : entries.isError ? (
        <LoadError error={entries.error} />
      ) : entries.data.data.length === 0 ? (
        <EmptyState title="Nothing recorded matches">Change or clear the filters.</EmptyState>
      ) : (
        <>
          <TableFrame label="Audit log entries">
            <table>
              <caption className="sr-only">Audit log entries</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Address</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {entries.data.data.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatDateTime(entry.created_at)}</td>
                    <td>
                      {entry.actor.email ?? entry.actor.user_id ?? '—'}
                      {entry.actor.api_key_id ? <div className="small muted">with an API key</div> : null}
                    </td>
                    <td className="mono">{entry.action}</td>
                    <td className="small">{entry.target.type ? `${entry.target.type} ${entry.target.id ?? ''}` : '—'}</td>
                    <td className="mono small">{entry.ip ?? '—'}</td>
                    <td>
                      <span className={`badge ${entry.outcome === 'success' ? 'badge-success' : 'badge-danger'}`}>{entry.outcome}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
          <Pager page={page} per={PER} total={entries.data.meta.total} onPage={setPage} label="Audit log pages" />
        </>
      )}
    </div>
  );
}
