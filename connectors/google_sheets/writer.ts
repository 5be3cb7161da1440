/**
 * Writes a batch of deliveries to the sheet: one `values.append` per tab for the whole batch
 * (`mode: append`), or one read of the key column, one `values.batchUpdate` for the rows that
 * exist and one `values.append` for the rest (`mode: upsert`). Returns one outcome per delivery.
 */
import {
  delivered,
  failed,
  retry,
  skipped,
  templateScope,
  withExchange,
  type ConnectorLogger,
  type ConnectorState,
  type Delivery,
  type ExchangeInput,
  type Outcome,
} from '../../src/sdk/index.ts';
import { columnLetters, parseRange, quoteSheet, rowSpan, type SheetRange } from './a1.ts';
import { columnsLayout, LayoutError, rowLayout, type Layout, type RenderedRow } from './cells.ts';
import type { AppendResult, SheetsApi } from './client.ts';
import type { SheetsConfig, SheetsParams } from './config.ts';
import { CredentialsError } from './credentials.ts';
import { classifySheetsError, isPermanent } from './errors.ts';

interface Item {
  readonly index: number;
  readonly delivery: Delivery<SheetsParams | undefined>;
  row?: RenderedRow;
}

interface Group {
  readonly rangeText: string;
  readonly range: SheetRange;
  readonly items: Item[];
}

export interface WriterDeps {
  readonly config: SheetsConfig;
  readonly api: () => Promise<SheetsApi>;
  readonly state: ConnectorState;
  readonly log: ConnectorLogger;
}

/** The range a delivery goes to: the route's `with: { range }`, else the connector's. */
export function renderRange(config: SheetsConfig, delivery: Delivery<SheetsParams | undefined>): string {
  return (delivery.params?.range ?? config.range).renderString(templateScope(delivery)).trim();
}

const rowRange = (range: SheetRange, width: number, row: number): string =>
  `${quoteSheet(range.sheet)}!${columnLetters(range.startCol)}${row}:${columnLetters(range.startCol + Math.max(width, 1) - 1)}${row}`;

export class SheetWriter {
  /** Header rows by tab and position, read once (dropped when the sheet proves them stale). */
  private readonly headers = new Map<string, Promise<string[]>>();

  constructor(private readonly deps: WriterDeps) {}

  async deliver(batch: readonly Delivery<SheetsParams | undefined>[], signal: AbortSignal): Promise<Outcome[]> {
    const outcomes: (Outcome | undefined)[] = batch.map(() => undefined);
    const groups = new Map<string, Group>();
    batch.forEach((delivery, index) => {
      let rangeText: string;
      try {
        rangeText = renderRange(this.deps.config, delivery);
        const group = groups.get(rangeText) ?? { rangeText, range: parseRange(rangeText), items: [] };
        group.items.push({ index, delivery });
        groups.set(rangeText, group);
      } catch (error) {
        outcomes[index] = failed(`cannot use the range: ${(error as Error).message}`);
      }
    });
    let api: SheetsApi;
    try {
      api = await this.deps.api();
    } catch (error) {
      const outcome =
        error instanceof CredentialsError
          ? failed(error.message)
          : retry(`cannot read credentialsFile: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      for (const group of groups.values()) for (const item of group.items) outcomes[item.index] = outcome;
      return outcomes.map((outcome) => outcome ?? retry('no outcome'));
    }
    // Tabs one after the other: calls stay serial (quota), and rows keep the batch's order.
    for (const group of groups.values()) await this.writeGroup(api, group, outcomes, signal);
    return outcomes.map((outcome) => outcome ?? retry('no outcome'));
  }

  private async writeGroup(
    api: SheetsApi,
    group: Group,
    outcomes: (Outcome | undefined)[],
    signal: AbortSignal,
  ): Promise<void> {
    const set = (items: readonly Item[], outcome: Outcome) => items.forEach((item) => (outcomes[item.index] = outcome));
    let layout: Layout;
    try {
      layout = await this.layout(api, group.range, signal);
    } catch (error) {
      set(group.items, error instanceof LayoutError ? failed(error.message) : classifySheetsError(error));
      return;
    }
    const ready: Item[] = [];
    for (const item of group.items) {
      try {
        item.row = layout.render(item.delivery);
        ready.push(item);
      } catch (error) {
        outcomes[item.index] = failed(`cannot render the row: ${(error as Error).message}`);
      }
    }
    if (ready.length === 0) return;
    try {
      if (this.deps.config.mode === 'upsert') await this.upsert(api, group, layout, ready, outcomes, signal);
      else await this.append(api, group, layout, ready, outcomes, signal);
    } catch (error) {
      if (isPermanent(error)) this.headers.clear();
      const outcome = classifySheetsError(error);
      // Items that already got their outcome (an earlier call of this group succeeded) keep it.
      for (const item of ready) outcomes[item.index] ??= outcome;
    }
  }

  private async layout(api: SheetsApi, range: SheetRange, signal: AbortSignal): Promise<Layout> {
    const { config } = this.deps;
    const common = {
      valueInputOption: config.valueInputOption,
      idColumn: config.idColumn,
      keyColumn: config.keyColumn,
    };
    if (config.row) return rowLayout(range, config.row, common);
    const cacheKey = `${range.sheet}\u0000${range.startRow}\u0000${range.startCol}\u0000${range.endCol ?? ''}`;
    let header = this.headers.get(cacheKey);
    if (!header) {
      header = this.readHeader(api, range, signal);
      this.headers.set(cacheKey, header);
      header.catch(() => this.headers.delete(cacheKey));
    }
    try {
      return columnsLayout(range, await header, config.columns!, common);
    } catch (error) {
      // The sheet may have been fixed since: read the header again next time.
      this.headers.delete(cacheKey);
      throw error;
    }
  }

  private async readHeader(api: SheetsApi, range: SheetRange, signal: AbortSignal): Promise<string[]> {
    // `Tab!3:3` (the whole row) and not `Tab!B3:3`, which mixes a cell and a row.
    const cells =
      range.endCol === undefined
        ? `${range.startRow}:${range.startRow}`
        : `${columnLetters(range.startCol)}${range.startRow}:${columnLetters(range.endCol)}${range.startRow}`;
    const { values } = await api.get(`${quoteSheet(range.sheet)}!${cells}`, signal);
    const row = (values[0] ?? []).map((cell) => (cell === null || cell === undefined ? '' : String(cell)));
    return range.endCol === undefined ? row.slice(range.startCol - 1) : row;
  }

  /** Rows of a column from `from` on, as text: value → first row number holding it; and the read's exchange. */
  private async readColumn(
    api: SheetsApi,
    range: SheetRange,
    index: number,
    from: number,
    signal: AbortSignal,
  ): Promise<{ found: Map<string, number>; exchange: ExchangeInput }> {
    const letter = columnLetters(range.startCol + index);
    const { values, exchange } = await api.get(`${quoteSheet(range.sheet)}!${letter}${from}:${letter}`, signal);
    const found = new Map<string, number>();
    values.forEach((row, offset) => {
      const cell = row[0];
      if (cell !== undefined && cell !== null && cell !== '' && !found.has(String(cell)))
        found.set(String(cell), from + offset);
    });
    return { found, exchange };
  }

  private async append(
    api: SheetsApi,
    group: Group,
    layout: Layout,
    items: Item[],
    outcomes: (Outcome | undefined)[],
    signal: AbortSignal,
  ): Promise<void> {
    const { config, state } = this.deps;
    const stateKey = `lastRow:${group.range.sheet}`;
    let pending = items;
    // Append has no idempotency key. A retried delivery may have been written by an attempt whose
    // answer was lost (timeout, reset connection, crash): look for its event id first.
    if (layout.idIndex !== undefined && items.some((item) => item.delivery.attempt > 1)) {
      const lastRow = Number((await state.get(stateKey)) ?? 0);
      const from = lastRow > 0 ? Math.max(layout.dataStartRow, lastRow - config.recheckRows + 1) : layout.dataStartRow;
      const present = await this.readColumn(api, group.range, layout.idIndex, from, signal);
      pending = [];
      for (const item of items) {
        const row = present.found.get(item.delivery.event.id);
        if (row === undefined) pending.push(item);
        else
          outcomes[item.index] = withExchange(
            delivered(`already present: ${rowRange(group.range, layout.width, row)}`),
            present.exchange,
          );
      }
      if (pending.length < items.length)
        this.deps.log.info(
          { range: group.rangeText, skipped: items.length - pending.length },
          'Rows already in the sheet after an ambiguous failure were not appended again.',
        );
    }
    if (pending.length === 0) return;
    const result = await api.append(
      group.rangeText,
      pending.map((item) => item.row!.cells),
      config.valueInputOption,
      signal,
    );
    this.settleAppended(
      group.range,
      layout,
      pending.map((item) => [item]),
      result,
      outcomes,
    );
    const span = result.updatedRange ? rowSpan(result.updatedRange) : undefined;
    if (span) await state.set(stateKey, String(span.last));
  }

  /** Give each appended row's items the row's own range as ref, and the append's exchange. */
  private settleAppended(
    range: SheetRange,
    layout: Layout,
    rows: readonly (readonly Item[])[],
    { updatedRange, exchange }: AppendResult,
    outcomes: (Outcome | undefined)[],
  ): void {
    const span = updatedRange ? rowSpan(updatedRange) : undefined;
    rows.forEach((items, offset) => {
      const ref = span ? rowRange(range, layout.width, span.first + offset) : updatedRange;
      for (const item of items) outcomes[item.index] = withExchange(delivered(ref), exchange);
    });
  }

  private async upsert(
    api: SheetsApi,
    group: Group,
    layout: Layout,
    items: Item[],
    outcomes: (Outcome | undefined)[],
    signal: AbortSignal,
  ): Promise<void> {
    const { config } = this.deps;
    const byKey = new Map<string, Item[]>();
    for (const item of items) {
      const key = item.row!.key ?? '';
      if (key === '') {
        outcomes[item.index] = skipped(`the key (keyColumn ${config.keyColumn}) is empty for this event`);
        continue;
      }
      byKey.set(key, [...(byKey.get(key) ?? []), item]);
    }
    if (byKey.size === 0) return;
    // Read every key each time: the sheet is the truth (people edit it), and a retried append
    // whose first attempt did land is found here and becomes an update: no duplicate row.
    const { found: existing } = await this.readColumn(api, group.range, layout.keyIndex!, layout.dataStartRow, signal);
    const updates: { row: number; items: Item[] }[] = [];
    const appends: Item[][] = [];
    for (const [key, sameKey] of byKey) {
      const row = existing.get(key);
      if (row === undefined) appends.push(sameKey);
      else updates.push({ row, items: sameKey });
    }
    // Several events for one key in a batch: the last one's row is written, all of them get its ref.
    const last = (sameKey: readonly Item[]) => sameKey[sameKey.length - 1]!.row!.cells;
    if (updates.length > 0) {
      const { ranges, exchange } = await api.batchUpdate(
        updates.map((update) => ({
          range: rowRange(group.range, layout.width, update.row),
          values: [last(update.items)],
        })),
        config.valueInputOption,
        signal,
      );
      updates.forEach((update, index) => {
        for (const item of update.items)
          outcomes[item.index] = withExchange(
            delivered(`updated ${ranges[index] || rowRange(group.range, layout.width, update.row)}`),
            exchange,
          );
      });
    }
    if (appends.length > 0) {
      const result = await api.append(group.rangeText, appends.map(last), config.valueInputOption, signal);
      this.settleAppended(group.range, layout, appends, result, outcomes);
    }
  }
}
