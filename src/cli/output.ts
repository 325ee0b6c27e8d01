import type { Format } from './config.js';

/** How a key is shown anywhere the CLI prints one it did not just create: `fs_live_…abcd`. */
export function maskKey(key: string): string {
  const match = /^(fs_(?:live|test)_)/.exec(key);
  if (match && key.length >= 20) return `${match[1]}…${key.slice(-4)}`;
  // Not a FuncSpec key (a placeholder or a typo): show only a tail, and only when long enough not to give it away.
  return key.length >= 16 ? `…${key.slice(-4)}` : '…';
}

/** Terminal control characters in server data (titles, names) must not reach the terminal raw. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�').replace(/\n/g, ' ');
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? clean(value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',')) : '-';
  if (typeof value === 'object') return clean(JSON.stringify(value));
  return clean(String(value));
}

export interface Column<T = any> {
  header: string;
  value: (row: T) => unknown;
}

function width(text: string): number {
  return [...text].length;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 1 ? chars.slice(0, max).join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** The width tables are fitted to: the terminal's, else $COLUMNS, else unlimited (pipes get whole values). */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Number.POSITIVE_INFINITY;
}

/** Columns separated by two spaces; the widest columns give way (with …) until the table fits. */
export function renderTable<T>(rows: T[], columns: Column<T>[], maxWidth: number): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const widths = columns.map((column, i) => Math.max(width(column.header), ...cells.map((r) => width(r[i]!))));
  const minimum = columns.map((column) => Math.min(widths[columns.indexOf(column)]!, Math.max(width(column.header), 6)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i += 1) {
      if (widths[i]! > minimum[i]! && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest === -1) break;
    widths[widest]! -= 1;
  }
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const shown = truncate(value, widths[i]!);
        return i === values.length - 1 ? shown : shown + ' '.repeat(widths[i]! - width(shown));
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export interface ListMeta {
  total?: number;
  page?: number;
  per?: number;
}

/** Prints results as the chosen format: JSON is exactly the API's `data`; tables are for people. */
export class Output {
  constructor(
    readonly format: Format,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
  ) {}

  get json(): boolean {
    return this.format === 'json';
  }

  write(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(data: unknown): void {
    this.write(JSON.stringify(data, null, 2));
  }

  list<T>(data: T[], columns: Column<T>[], meta?: ListMeta, empty = 'Nothing found.'): void {
    if (this.json) return this.printJson(data);
    if (data.length === 0) return this.write(empty);
    this.write(renderTable(data, columns, terminalWidth(this.stdout)));
    if (meta?.total !== undefined && meta.page !== undefined && meta.per !== undefined && meta.total > data.length) {
      const first = (meta.page - 1) * meta.per + 1;
      const last = first + data.length - 1;
      const more = last < meta.total ? ` (next: --page ${meta.page + 1})` : '';
      this.write(`Showing ${first}-${last} of ${meta.total}${more}`);
    }
  }

  /** One object as `field  value` lines, in the order given (then any other fields). */
  record(data: Record<string, unknown>, fields?: string[], jsonData: unknown = data): void {
    if (this.json) return this.printJson(jsonData);
    const keys = fields ?? Object.keys(data);
    const pad = Math.max(...keys.map((k) => k.length));
    this.write(keys.map((key) => `${key.padEnd(pad)}  ${cell(data[key])}`).join('\n'));
  }

  /** A confirmation for people; scripts (JSON) get `data` or nothing. */
  done(message: string, data?: unknown): void {
    if (this.json) {
      if (data !== undefined) this.printJson(data);
      return;
    }
    this.write(message);
  }
}
