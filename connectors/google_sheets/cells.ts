/**
 * Turns a delivery into the cells of one row: renders the templates, maps them to the header row
 * (with `columns`) or writes them in order (with `row`), adds the event id, and makes sure no text
 * from a message can become a formula.
 */
import { templateScope, type Delivery, type Template } from '../../src/sdk/index.ts';
import type { CellValue, ValueInputOption } from './client.ts';
import { columnLetters, columnNumber, type SheetRange } from './a1.ts';

/** Google refuses a cell over 50,000 characters (and the whole request with it). */
export const MAX_CELL_CHARS = 50_000;
const TRUNCATED = '… [truncated]';

/** Text that a spreadsheet would read as a formula (or eat: a leading quote) when "typed in". */
const FORMULA_LIKE = /^[=+\-@'\t\r]/;

/** A config problem found against the sheet itself (a header missing): no retry can fix it. */
export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

/** One rendered row. `key` is the upsert key as text (before any quoting). */
export interface RenderedRow {
  readonly cells: CellValue[];
  readonly key?: string | undefined;
}

/** How the rows of one tab are written: where they start, and which cell holds the id or the key. */
export interface Layout {
  readonly range: SheetRange;
  /** First row that holds data (the row after the header row with `columns`). */
  readonly dataStartRow: number;
  /** Cells per row. */
  readonly width: number;
  /** Index in the row of the event id cell, when idColumn is on. */
  readonly idIndex: number | undefined;
  /** Index in the row of the upsert key cell. */
  readonly keyIndex: number | undefined;
  render(delivery: Delivery): RenderedRow;
}

/**
 * A rendered value as a cell: numbers and booleans stay typed, everything else is text (objects as
 * JSON). With USER_ENTERED, text starting with = + - @ (or a quote, tab, CR) gets a leading `'`,
 * which Sheets takes as "this is text" and does not show; with RAW nothing is ever parsed.
 */
export function toCell(value: unknown, valueInputOption: ValueInputOption): CellValue {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (text.length > MAX_CELL_CHARS - 1) text = text.slice(0, MAX_CELL_CHARS - 1 - TRUNCATED.length) + TRUNCATED;
  return valueInputOption === 'USER_ENTERED' && FORMULA_LIKE.test(text) ? `'${text}` : text;
}

function keyText(value: unknown): string {
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

interface Common {
  readonly valueInputOption: ValueInputOption;
  readonly idColumn: string | false;
  readonly keyColumn: string | undefined;
}

/** `row:` templates written in order from the range's first column; the event id comes after them. */
export function rowLayout(range: SheetRange, row: readonly Template[], options: Common): Layout {
  let keyIndex: number | undefined;
  if (options.keyColumn !== undefined) {
    keyIndex = columnNumber(options.keyColumn)! - range.startCol;
    if (keyIndex < 0 || keyIndex >= row.length) {
      throw new LayoutError(
        `keyColumn ${options.keyColumn} is outside the row, which is written in ${columnLetters(range.startCol)}:${columnLetters(range.startCol + row.length - 1)}`,
      );
    }
  }
  const idIndex = options.idColumn === false ? undefined : row.length;
  return {
    range,
    dataStartRow: range.startRow,
    width: row.length + (idIndex === undefined ? 0 : 1),
    idIndex,
    keyIndex,
    render(delivery) {
      const scope = templateScope(delivery);
      const values = row.map((template) => template.render(scope));
      const cells = values.map((value) => toCell(value, options.valueInputOption));
      if (idIndex !== undefined) cells.push(toCell(delivery.event.id, options.valueInputOption));
      return { cells, key: keyIndex === undefined ? undefined : keyText(values[keyIndex]) };
    },
  };
}

/**
 * `columns:` templates placed under the header row's names. Columns of the sheet that no template
 * names are sent as null, so an upsert leaves them as they are. Every name must be in the header.
 */
export function columnsLayout(
  range: SheetRange,
  header: readonly string[],
  columns: Readonly<Record<string, Template>>,
  options: Common,
): Layout {
  const names = header.map((name) => name.trim());
  const missing = Object.keys(columns).filter((name) => !names.includes(name));
  if (options.idColumn !== false && !names.includes(options.idColumn)) missing.push(options.idColumn);
  if (missing.length > 0) {
    const found = names.filter(Boolean);
    throw new LayoutError(
      `the header row (row ${range.startRow} of ${range.sheet}) has no column ${missing.map((name) => `"${name}"`).join(', ')}` +
        `${options.idColumn !== false && missing.includes(options.idColumn) ? ' (idColumn: add it, or set idColumn: false)' : ''}; found: ${found.length ? found.join(', ') : 'an empty row'}`,
    );
  }
  const slots = names.map((name, index) => ({
    name,
    index,
    template: names.indexOf(name) === index ? columns[name] : undefined,
  }));
  const idIndex = options.idColumn === false ? undefined : names.indexOf(options.idColumn);
  const keyIndex = options.keyColumn === undefined ? undefined : names.indexOf(options.keyColumn);
  // Trailing columns nobody writes are left out of the row.
  let width = 0;
  for (const slot of slots) if (slot.template || slot.index === idIndex) width = slot.index + 1;
  return {
    range,
    dataStartRow: range.startRow + 1,
    width,
    idIndex,
    keyIndex,
    render(delivery) {
      const scope = templateScope(delivery);
      let key: string | undefined;
      const cells = slots.slice(0, width).map((slot): CellValue => {
        if (slot.index === idIndex) return toCell(delivery.event.id, options.valueInputOption);
        if (!slot.template) return null;
        const value = slot.template.render(scope);
        if (slot.index === keyIndex) key = keyText(value);
        return toCell(value, options.valueInputOption);
      });
      return { cells, key };
    },
  };
}
