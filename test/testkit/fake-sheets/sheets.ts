/**
 * The fake's spreadsheets, in memory: tabs of cells, with the Sheets API's rules for writing
 * (RAW vs USER_ENTERED parsing, formulas, quote prefix), appending after a table (INSERT_ROWS or
 * OVERWRITE) and reading (trailing empties trimmed, FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA).
 */
import { formatRange, parseA1, type GridRange } from './a1.ts';

/** One stored cell. `formula` is set when the input became a formula (USER_ENTERED "=…"). */
export interface Cell {
  readonly value: string | number | boolean;
  readonly formula?: string;
}

export type Input = string | number | boolean | null | undefined;

export class Spreadsheet {
  readonly tabs = new Map<string, (Cell | undefined)[][]>();
  /** Principals (emails) the sheet is shared with; undefined = anyone authenticated. */
  sharedWith: Set<string> | undefined;

  constructor(
    readonly id: string,
    public title: string,
  ) {}

  tab(name: string): (Cell | undefined)[][] {
    const grid = this.tabs.get(name);
    if (!grid) throw new Error(`no tab ${name}`);
    return grid;
  }

  parse(range: string): GridRange {
    return parseA1(range, [...this.tabs.keys()]);
  }
}

/** What a typed-in value becomes (USER_ENTERED), or the value as is (RAW). */
export function toCell(input: Input, valueInputOption: string): Cell | undefined {
  if (input === null || input === undefined) return undefined;
  if (typeof input !== 'string' || valueInputOption === 'RAW') return { value: input };
  if (input.startsWith("'")) return { value: input.slice(1) }; // the quote prefix: text, not shown
  if (/^[+-]?\d+(\.\d+)?$/.test(input.trim())) return { value: Number(input) };
  if (/^(true|false)$/i.test(input)) return { value: input.toLowerCase() === 'true' };
  // "=…" is a formula; so is "+…", "-…", "@…" that is not a number (Sheets turns them into one).
  if (/^[=+\-@]/.test(input)) return { value: '#NAME?', formula: input.startsWith('=') ? input : `=${input}` };
  return { value: input };
}

export function render(cell: Cell | undefined, option: string): unknown {
  if (!cell) return '';
  if (option === 'FORMULA' && cell.formula) return cell.formula;
  if (option === 'FORMATTED_VALUE')
    return typeof cell.value === 'boolean' ? (cell.value ? 'TRUE' : 'FALSE') : String(cell.value);
  return cell.value;
}

const isEmpty = (cell: Cell | undefined): boolean => cell === undefined || cell.value === '';

/** Read a range: rows from its start, trailing empty cells and rows trimmed, as Google does. */
export function readRange(
  sheet: Spreadsheet,
  range: GridRange,
  option: string,
): { range: string; values: unknown[][] } {
  const grid = sheet.tab(range.sheet);
  const startRow = range.startRow ?? 1;
  const startCol = range.startCol ?? 1;
  const lastRow = range.endRow ?? Math.max(grid.length, startRow);
  const width = Math.max(0, ...grid.map((row) => row.length));
  const lastCol = range.endCol ?? Math.max(width, startCol);
  const values: unknown[][] = [];
  for (let r = startRow; r <= lastRow; r++) {
    const row = grid[r - 1] ?? [];
    const out: unknown[] = [];
    for (let c = startCol; c <= lastCol; c++) out.push(render(row[c - 1], option));
    while (out.length > 0 && (out[out.length - 1] === '' || out[out.length - 1] === undefined)) out.pop();
    values.push(out);
  }
  while (values.length > 0 && values[values.length - 1]!.length === 0) values.pop();
  return { range: formatRange(range.sheet, startRow, startCol, lastRow, lastCol), values };
}

/** Write rows at a fixed place (values.update). Null cells are left as they are. */
export function writeRange(sheet: Spreadsheet, range: GridRange, rows: Input[][], option: string) {
  const grid = sheet.tab(range.sheet);
  const startRow = range.startRow ?? 1;
  const startCol = range.startCol ?? 1;
  let cells = 0;
  let columns = 0;
  rows.forEach((values, r) => {
    const row = (grid[startRow - 1 + r] ??= []);
    values.forEach((input, c) => {
      const cell = toCell(input, option);
      if (input === null || input === undefined) return;
      row[startCol - 1 + c] = cell;
      cells++;
    });
    columns = Math.max(columns, values.length);
  });
  for (let r = 0; r < grid.length; r++) grid[r] ??= [];
  const updatedRange = formatRange(
    range.sheet,
    startRow,
    startCol,
    startRow + Math.max(rows.length, 1) - 1,
    startCol + Math.max(columns, 1) - 1,
  );
  return {
    spreadsheetId: sheet.id,
    updatedRange,
    updatedRows: rows.length,
    updatedColumns: columns,
    updatedCells: cells,
  };
}

/**
 * values.append: find the table in the range (the last row holding data in its columns, at or
 * below its first row) and write after it, from the range's first column. INSERT_ROWS inserts new
 * rows there (what is below moves down); OVERWRITE writes over.
 */
export function appendRange(
  sheet: Spreadsheet,
  range: GridRange,
  rows: Input[][],
  option: string,
  insertDataOption: string,
) {
  const grid = sheet.tab(range.sheet);
  const startRow = range.startRow ?? 1;
  const startCol = range.startCol ?? 1;
  const endCol = range.endCol ?? Number.MAX_SAFE_INTEGER;
  let first = 0;
  let last = 0;
  let tableWidth = 0;
  for (let r = startRow; r <= (range.endRow ?? grid.length); r++) {
    const row = grid[r - 1] ?? [];
    const used = row.some((cell, index) => index + 1 >= startCol && index + 1 <= endCol && !isEmpty(cell));
    if (used) {
      first ||= r;
      last = r;
      tableWidth = Math.max(tableWidth, Math.min(row.length, endCol) - startCol + 1);
    } else if (first) {
      break; // the table ends at the first empty row
    }
  }
  const at = last ? last + 1 : startRow;
  if (insertDataOption === 'INSERT_ROWS' && at <= grid.length) grid.splice(at - 1, 0, ...rows.map(() => []));
  const updates = writeRange(
    sheet,
    { sheet: range.sheet, startRow: at, startCol },
    rows.map((row) => row.map((cell) => cell ?? '')),
    option,
  );
  return {
    spreadsheetId: sheet.id,
    ...(first
      ? { tableRange: formatRange(range.sheet, first, startCol, last, startCol + Math.max(tableWidth, 1) - 1) }
      : {}),
    updates: { ...updates, updatedRows: rows.length },
  };
}
