import { TableFrame } from '../ui/table-frame';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, call } from '../api/client';
import { usePageTitle } from '../ui/brand';
import { EmptyState, LoadError, Loading } from '../ui/feedback';
import { SelectField } from '../ui/forms';
import { useOrgSettings } from './settings-layout';
import { UsageChart, type UsageSeries } from './usage-chart';

const HOUR_MS = 60 * 60 * 1000;
const RANGES = [
  { value: '24', label: 'Last 24 hours' },
  { value: '168', label: 'Last 7 days' },
  { value: '720', label: 'Last 30 days' },
];

export function UsagePage() {
  usePageTitle('Usage');
  const { slug } = useOrgSettings();
  const [range, setRange] = useState('24');
  const [keyId, setKeyId] = useState('');
  // The window ends at the next full hour, so the current hour's requests are in it.
  const window = useMemo(() => {
    const to = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
    return { from: new Date(to - Number(range) * HOUR_MS).toISOString(), to: new Date(to).toISOString() };
  }, [range]);
  const keys = useQuery({
    queryKey: ['api-keys', slug],
    queryFn: () => call(api.GET('/api/v1/organizations/{org}/api-keys', { params: { path: { org: slug }, query: { per: 100 } } })),
  });
  const usage = useQuery({
    queryKey: ['usage', slug, window, keyId],
    queryFn: () =>
      call(api.GET('/api/v1/organizations/{org}/usage', { params: { path: { org: slug }, query: { ...window, ...(keyId ? { key_id: keyId } : {}) } } })),
  });
  const chart = useMemo(() => {
    if (!usage.data) return null;
    const from = new Date(usage.data.meta.from).getTime();
    const to = new Date(usage.data.meta.to).getTime();
    const hours: number[] = [];
    for (let t = Math.floor(from / HOUR_MS) * HOUR_MS; t < to; t += HOUR_MS) hours.push(t);
    const byKey = new Map<string, UsageSeries & { total: number }>();
    for (const row of usage.data.data) {
      const series = byKey.get(row.key_id) ?? { label: row.key_name, values: hours.map(() => 0), total: 0 };
      const index = hours.indexOf(new Date(row.hour).getTime());
      if (index >= 0) series.values[index]! += row.requests;
      series.total += row.requests;
      byKey.set(row.key_id, series);
    }
    const series = [...byKey.values()];
    const busyHours = hours.map((hour, i) => ({ hour, counts: series.map((s) => s.values[i]!) })).filter((h) => h.counts.some((c) => c > 0));
    return { hours: hours.map((h) => h / 1000), series, busyHours, total: usage.data.meta.total_requests };
  }, [usage.data]);

  return (
    <div className="card">
      <div className="card-header">
        <div>
          <h2>Usage</h2>
          <p className="muted small">Requests made with API keys, per key and hour (counts reach this page within about ten seconds).</p>
        </div>
      </div>
      <div className="filters">
        <SelectField label="Range" value={range} onChange={(e) => setRange(e.target.value)} options={RANGES} />
        <SelectField
          label="Key"
          value={keyId}
          onChange={(e) => setKeyId(e.target.value)}
          options={[{ value: '', label: 'All keys' }, ...(keys.data?.data ?? []).map((k) => ({ value: k.id, label: `${k.name} (…${k.last_four})` }))]}
        />
      </div>
      {usage.isPending ? (
        <Loading />
      ) : usage.isError ? (
        <LoadError error={usage.error} />
      ) : !chart || chart.total === 0 ? (
        <EmptyState title="No requests in this range">Requests made with this organization's API keys show up here, per hour.</EmptyState>
      ) : (
        <>
          <p>
            <strong>{chart.total.toLocaleString()}</strong> requests in this range.
          </p>
          <UsageChart
            hours={chart.hours}
            series={chart.series}
            label={`Chart of requests per hour per key: ${chart.total} requests in this range. The table below has the same numbers.`}
          />
          <TableFrame label="Requests per hour" className="usage-table">
            <table>
              <caption>Requests per hour</caption>
              <thead>
                <tr>
                  <th scope="col">Hour</th>
                  {chart.series.map((s) => (
                    <th key={s.label} scope="col" className="num">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {chart.busyHours.map((h) => (
                  <tr key={h.hour}>
                    <th scope="row">{new Date(h.hour).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</th>
                    {h.counts.map((count, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: the columns are the fixed status classes, in order
                      <td key={i} className="num">
                        {count}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        </>
      )}
    </div>
  );
}
