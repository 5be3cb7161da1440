import type { AttemptExchange } from '../domain/delivery.ts';

/**
 * The `exchange` column of `attempts` (both adapters): an attempt's request and response as JSON
 * text, NULL when none was recorded. Text rather than a JSON type: it is written on the hot path and
 * only read back whole, by the event detail.
 */
export function exchangeColumn(exchange: AttemptExchange | undefined): string | null {
  return exchange === undefined ? null : JSON.stringify(exchange);
}

/** The stored exchange, or undefined; a value that does not parse is left out rather than failing the event's page. */
export function exchangeOfColumn(text: string | null | undefined): AttemptExchange | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as AttemptExchange) : undefined;
  } catch {
    return undefined;
  }
}
