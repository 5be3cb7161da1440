/**
 * The little A1 notation the connector needs: split a rendered range into its tab and its first
 * cell, and turn column numbers into letters and back. Google does the real parsing (and answers
 * 400 "Unable to parse range" when it cannot); this only has to agree with it on valid ranges.
 */

/** A rendered range, split: `'My Tab'!B2:F` → sheet "My Tab", startCol 2, startRow 2. */
export interface SheetRange {
  /** Tab name, unquoted. */
  readonly sheet: string;
  /** First column of the range (1 = A). */
  readonly startCol: number;
  /** First row of the range (1-based). */
  readonly startRow: number;
  /** Last column when the range names one. */
  readonly endCol?: number | undefined;
}

const CELL = /^([A-Za-z]{0,3})(\d*)$/;

/** Column number (1-based) → letters: 1 → A, 27 → AA. */
export function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** Letters → column number (1-based): A → 1, AA → 27. Undefined when not letters. */
export function columnNumber(letters: string): number | undefined {
  if (!/^[A-Za-z]{1,3}$/.test(letters)) return undefined;
  let n = 0;
  for (const char of letters.toUpperCase()) n = n * 26 + (char.charCodeAt(0) - 64);
  return n;
}

/** Quote a tab name for A1 notation when it needs it: `My Tab` → `'My Tab'`. */
export function quoteSheet(sheet: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(sheet) ? sheet : `'${sheet.replaceAll("'", "''")}'`;
}

/**
 * Split `Tab`, `Tab!A:E`, `'My Tab'!B2:F10` into tab and first cell. A range without `!` is a tab
 * name (the whole sheet). Throws on what is clearly not a range.
 */
export function parseRange(range: string): SheetRange {
  const text = range.trim();
  let sheet: string;
  let cells: string;
  if (text.startsWith("'")) {
    const close = /^'((?:[^']|'')*)'(?:!(.*))?$/s.exec(text);
    if (!close) throw new Error(`cannot parse range "${range}"`);
    sheet = close[1]!.replaceAll("''", "'");
    cells = close[2] ?? '';
  } else {
    const bang = text.lastIndexOf('!');
    sheet = bang === -1 ? text : text.slice(0, bang);
    cells = bang === -1 ? '' : text.slice(bang + 1);
  }
  if (sheet === '') throw new Error(`range "${range}" names no tab`);
  if (cells === '') return { sheet, startCol: 1, startRow: 1 };
  const [from, to] = cells.split(':');
  const start = CELL.exec(from ?? '');
  const end = to === undefined ? undefined : CELL.exec(to);
  if (!start || (start[1] === '' && start[2] === '') || (to !== undefined && !end))
    throw new Error(`cannot parse range "${range}"`);
  const endCol = end?.[1] ? columnNumber(end[1]) : to === undefined && start[1] ? columnNumber(start[1]) : undefined;
  return {
    sheet,
    startCol: start[1] ? columnNumber(start[1])! : 1,
    startRow: start[2] ? Number(start[2]) : 1,
    endCol,
  };
}

/** The 1-based first and last row of an A1 range such as Google's `updatedRange` (`Tab!A5:F7`). */
export function rowSpan(range: string): { first: number; last: number } | undefined {
  const cells = /!([A-Za-z]*)(\d+)(?::([A-Za-z]*)(\d+))?$/.exec(range);
  if (!cells) return undefined;
  const first = Number(cells[2]);
  return { first, last: cells[4] ? Number(cells[4]) : first };
}
