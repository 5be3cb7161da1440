import { phoneKey, type EventSearch } from './store.ts';

/**
 * The WHERE clause of an event search, shared by the SQL adapters so both filter alike. Only the
 * filters given become conditions (no `? IS NULL OR …`), so each shape of query can use its index
 * (events by type, chat, phone, time; deliveries by event). `param` adds a value and returns its
 * placeholder (`?` for SQLite, `$n` for PostgreSQL).
 */
export function eventSearchWhere(query: EventSearch, param: (value: string | number) => string): string {
  const where: string[] = [];
  if (query.event !== undefined) where.push(`e.event = ${param(query.event)}`);
  if (query.chatId !== undefined) where.push(`e.chat_id = ${param(query.chatId)}`);
  if (query.contactPhone !== undefined) where.push(`e.contact_phone = ${param(phoneKey(query.contactPhone) ?? '')}`);
  if (query.text !== undefined) {
    const anyOf = [`e.id = ${param(query.text)}`, `e.chat_id = ${param(query.text)}`];
    const phone = phoneKey(query.text);
    if (phone !== undefined) anyOf.push(`e.contact_phone = ${param(phone)}`);
    where.push(`(${anyOf.join(' OR ')})`);
  }
  if (query.payloadText !== undefined) {
    const pattern = `%${query.payloadText.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(
      `EXISTS (SELECT 1 FROM webhooks w WHERE w.seq = e.webhook_seq AND lower(w.body) LIKE ${param(pattern)} ESCAPE '\\')`,
    );
  }
  if (query.since !== undefined) where.push(`e.received_at >= ${param(query.since)}`);
  if (query.until !== undefined) where.push(`e.received_at < ${param(query.until)}`);
  if (query.before !== undefined) where.push(`e.seq < ${param(query.before)}`);
  const connector = query.connector === undefined ? '' : ` AND d.connector = ${param(query.connector)}`;
  if (query.status === 'unrouted') {
    where.push('e.routed_at IS NULL');
  } else if (query.status === 'unmatched') {
    where.push(
      `e.routed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq${connector})`,
    );
  } else if (query.status !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = ${param(query.status)}${connector})`,
    );
  } else if (query.connector !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq${connector})`);
  }
  return where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
}

export const EVENT_SUMMARY_COLUMNS = 'e.seq, e.id, e.event, e.received_at, e.routed_at, e.chat_id, e.contact_phone';
