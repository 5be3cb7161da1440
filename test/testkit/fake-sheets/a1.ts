/**
 * A1 ranges as the Sheets API reads them: `Sheet1!A:E`, `'My Tab'!A1:C10`, `Sheet1!2:2`,
 * `Sheet1` (a whole tab), `A1:B2` (the first tab). Written independently of the connector's
 * parser, so the two check each other.
 */

/** A parsed range; undefined bounds are open (whole rows / whole columns). All 1-based, inclusive. */
export interface GridRange {
  readonly sheet: string;
  readonly startRow?: number | undefined;
  readonly endRow?: number | undefined;
  readonly startCol?: number | undefined;
  readonly endCol?: number | undefined;
}

/** Answered with 400 INVALID_ARGUMENT "Unable to parse range: …", as Google does. */
export class RangeError400 extends Error {}

export function colNumber(letters: string): number {
  let n = 0;
  for (const char of letters.toUpperCase()) n = n * 26 + (char.charCodeAt(0) - 64);
  return n;
}

export function colLetters(col: number): string {
  let out = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
}

export function formatSheet(sheet: string): string {
  return /^[A-Za-z0-9_]+$/.test(sheet) && !/^[A-Za-z]{1,3}\d+$/.test(sheet)
    ? sheet
    : `'${sheet.replaceAll("'", "''")}'`;
}

/** `A1:C10` with the grid filled in, for answers (`updatedRange`, `range`). */
export function formatRange(sheet: string, startRow: number, startCol: number, endRow: number, endCol: number): string {
  const from = `${colLetters(startCol)}${startRow}`;
  const to = `${colLetters(endCol)}${endRow}`;
  return `${formatSheet(sheet)}!${from === to ? from : `${from}:${to}`}`;
}

const REF = /^(?:([A-Za-z]{1,3})(\d+)?|(\d+))$/;

function parseCells(text: string, original: string): Omit<GridRange, 'sheet'> {
  const parts = text.split(':');
  if (parts.length > 2) throw new RangeError400(original);
  const refs = parts.map((part) => {
    const match = REF.exec(part.replaceAll('$', ''));
    if (!match) throw new RangeError400(original);
    if (match[3] !== undefined) return { row: Number(match[3]), col: undefined };
    return { col: colNumber(match[1]!), row: match[2] === undefined ? undefined : Number(match[2]) };
  });
  const [from, to] = [refs[0]!, refs[1] ?? refs[0]!];
  if (from.row === 0 || to.row === 0) throw new RangeError400(original);
  // A single reference without a row (`A`) is not a range Google accepts; `A:A` is.
  if (refs.length === 1 && from.row === undefined) throw new RangeError400(original);
  // `1:A` or `A1:5` mix a row-only and a column reference: not accepted.
  if ((from.col === undefined) !== (to.col === undefined)) throw new RangeError400(original);
  return { startRow: from.row, startCol: from.col, endRow: to.row, endCol: to.col };
}

/**
 * Parse a range against the tabs that exist. A tab that does not exist, or text that is not A1,
 * throws RangeError400 (Google answers `Unable to parse range: <range>`).
 */
export function parseA1(range: string, sheets: readonly string[]): GridRange {
  const text = range.trim();
  let sheet: string | undefined;
  let cells: string | undefined;
  if (text.startsWith("'")) {
    const match = /^'((?:[^']|'')+)'(?:!(.*))?$/s.exec(text);
    if (!match) throw new RangeError400(range);
    sheet = match[1]!.replaceAll("''", "'");
    cells = match[2];
  } else if (text.includes('!')) {
    const bang = text.lastIndexOf('!');
    sheet = text.slice(0, bang);
    cells = text.slice(bang + 1);
  } else if (sheets.includes(text)) {
    sheet = text;
  } else {
    sheet = sheets[0];
    cells = text;
  }
  if (sheet === undefined || !sheets.includes(sheet)) throw new RangeError400(range);
  if (cells === undefined || cells === '') return { sheet };
  return { sheet, ...parseCells(cells, range) };
}
