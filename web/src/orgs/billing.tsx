import { TableFrame } from '../ui/table-frame';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client';
import { usePageTitle } from '../ui/brand';
import { EmptyState, LoadError, Loading } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { Pager } from '../ui/pager';
import { RoleGate, useOrgSettings } from './settings-layout';

const PER = 25;
const credits = (n: number) => n.toLocaleString(undefined, { maximumFractionDigits: 6 });

export function BillingPage() {
  usePageTitle('Billing');
  const { membership, slug } = useOrgSettings();
  return (
    <RoleGate needed="owner" what="Billing" membership={membership}>
      <Billing slug={slug} />
    </RoleGate>
  );
}

function Billing({ slug }: { slug: string }) {
  const [page, setPage] = useState(1);
  const billing = useQuery({
    queryKey: ['billing', slug],
    queryFn: () => call(api.GET('/api/v1/organizations/{org}/billing', { params: { path: { org: slug } } })),
  });
  const ledger = useQuery({
    queryKey: ['ledger', slug, page],
    placeholderData: keepPreviousData,
    queryFn: () => call(api.GET('/api/v1/organizations/{org}/credits/ledger', { params: { path: { org: slug }, query: { page, per: PER } } })),
  });
  return (
    <>
      <div className="card">
        <h2>Plan and credits</h2>
        {billing.isPending ? (
          <Loading />
        ) : billing.isError ? (
          <LoadError error={billing.error} />
        ) : (
          <dl className="facts">
            <dt>Plan</dt>
            <dd>
              <span className="badge badge-accent">{billing.data.data.plan}</span>
            </dd>
            <dt>Rate limit</dt>
            <dd>{billing.data.data.rate_limit.requests_per_hour.toLocaleString()} requests per hour per API key</dd>
            <dt>Credits left</dt>
            <dd>
              <strong>{credits(billing.data.data.credits.credits_left)}</strong> of {credits(billing.data.data.credits.total_credits)} (
              {credits(billing.data.data.credits.credits_used)} used)
            </dd>
          </dl>
        )}
        <p className="small muted">The plan is changed by the operator of this FuncSpec server.</p>
      </div>
      <div className="card">
        <h2>Credit ledger</h2>
        {ledger.isPending ? (
          <Loading />
        ) : ledger.isError ? (
          <LoadError error={ledger.error} />
        ) : ledger.data.data.length === 0 ? (
          <EmptyState title="No credit movements yet" />
        ) : (
          <>
            <TableFrame label="Credit ledger">
              <table>
                <caption className="sr-only">Credit ledger</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">What</th>
                    <th scope="col">By</th>
                    <th scope="col" className="num">
                      Credits
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {ledger.data.data.map((entry) => (
                    <tr key={entry.id}>
                      <td>{formatDateTime(entry.created_at)}</td>
                      <td>{entry.reason ?? (entry.kind === 'grant' ? 'Grant' : 'Debit')}</td>
                      <td>{entry.actor?.email ?? (entry.kind === 'grant' ? 'FuncSpec' : '—')}</td>
                      <td className="num">{entry.kind === 'grant' ? `+${credits(entry.amount)}` : `−${credits(entry.amount)}`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
            <Pager page={page} per={PER} total={ledger.data.meta.total} onPage={setPage} label="Ledger pages" />
          </>
        )}
      </div>
    </>
  );
}
