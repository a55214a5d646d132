// Plain-text tables for terminals: left-aligned columns, two spaces apart, no borders (so
// `grep`/`awk` still work on the output). Cells are single-line and clipped.
import { escapeControlChars } from '../common/control-chars.js';
export interface Column<Row> {
  header: string;
  value(row: Row): string;
  /** Right-align (numbers). */
  right?: boolean;
  /** Clip longer cells with an ellipsis. */
  max?: number;
}

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((c) => clip(oneLine(c.value(row)), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i]!.right === true ? v.padStart(widths[i]!) : i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

function oneLine(s: string): string {
  // Whitespace runs become one space; any other control character (ESC, BEL, ...) from a
  // stored process name is shown as \xNN, never sent to the terminal.
  return escapeControlChars(s.replace(/\s+/g, ' '));
}

function clip(s: string, max: number | undefined): string {
  return max !== undefined && s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
