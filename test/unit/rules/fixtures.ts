import { readdirSync, readFileSync } from 'node:fs';
import type { RoutedEvent } from '../../../src/domain/event.ts';
import { normalizeItem } from '../../../src/wassenger/normalize.ts';
import { parseWebhookBody } from '../../../src/wassenger/payload.ts';

const FIXTURES = new URL('../../fixtures/wassenger/', import.meta.url);

/** Every Wassenger fixture, normalized as the router does it: file name → its events. */
export function fixtureEvents(): Map<string, RoutedEvent[]> {
  const events = new Map<string, RoutedEvent[]>();
  for (const file of readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const result = parseWebhookBody(JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')));
    if (!result.ok) throw new Error(`fixture ${file} does not parse: ${JSON.stringify(result)}`);
    const receivedAt = new Date('2024-05-01T10:00:00Z');
    events.set(
      file,
      result.items.map((item) => normalizeItem(item, receivedAt)),
    );
  }
  return events;
}
