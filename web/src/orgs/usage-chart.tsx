import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface UsageSeries {
  label: string;
  values: number[];
}

const PALETTE = ['--chart-1', '--chart-2', '--chart-3', '--chart-4', '--chart-5', '--chart-6'];

/** Requests per hour, one line per key (uPlot draws on a canvas; the table beside it has the same numbers). */
export function UsageChart({ hours, series, label }: { hours: number[]; series: UsageSeries[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const css = getComputedStyle(document.documentElement);
    const color = (name: string) => css.getPropertyValue(name).trim();
    const axis = { stroke: color('--muted'), grid: { stroke: color('--border'), width: 1 }, ticks: { stroke: color('--border'), width: 1 } };
    const plot = new uPlot(
      {
        width: element.clientWidth,
        height: 280,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.1))] } },
        axes: [axis, { ...axis, size: 50 }],
        series: [
          { label: 'Hour' },
          ...series.map((s, i) => ({ label: s.label, stroke: color(PALETTE[i % PALETTE.length]!), width: 2, points: { show: hours.length <= 48 } })),
        ],
        legend: { live: false },
      },
      [hours, ...series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: 280 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [hours, series]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
