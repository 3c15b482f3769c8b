/** One line of the demo's summary. */
export interface DemoRow {
  readonly adapter: string;
  readonly requests: number;
  readonly tokenRequests: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Why the adapter could not run at all, if it could not. */
  readonly error?: string;
}

const HEADERS = ['adapter', 'requests', 'token requests', 'failures', 'p50 ms', 'p99 ms'] as const;

/** Renders the rows as an aligned plain-text table. */
export function formatTable(rows: readonly DemoRow[]): string {
  const cells = rows.map((row) => [
    row.adapter,
    String(row.requests),
    String(row.tokenRequests),
    String(row.failures),
    row.p50Ms.toFixed(1),
    row.p99Ms.toFixed(1),
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => line[column]!.length)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  return [
    render(HEADERS),
    render(widths.map((width) => '-'.repeat(width))),
    ...cells.map(render),
  ].join('\n');
}

/** 0 only when every adapter ran and none of its requests failed. */
export function exitCodeFor(rows: readonly DemoRow[]): number {
  return rows.length > 0 && rows.every((row) => row.failures === 0 && row.error === undefined)
    ? 0
    : 1;
}
