import type { Database, Statement } from 'better-sqlite3';

const CLAIM_COLUMNS = `
  d.id, d.event_seq, e.id AS event_id, d.connector, d.route, d.params, d.attempts,
  e.received_at, w.body, e.item_index
  FROM deliveries d
  JOIN events e ON e.seq = d.event_seq
  JOIN webhooks w ON w.seq = e.webhook_seq`;

const DUE = `d.connector = ? AND d.status = 'pending' AND d.next_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?)`;

/** Every SQL statement of the SQLite store. */
const SQL = {
  insertWebhook: `INSERT INTO webhooks (received_at, body) VALUES (?, ?)`,
  insertEvent: `INSERT OR IGNORE INTO events (id, webhook_seq, item_index, event, chat_id, received_at, contact_phone, routed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  // Deliveries planned at ingest belong to a new event: nothing to conflict with.
  insertDelivery: `
    INSERT INTO deliveries (event_seq, connector, route, params, chat_key, status, attempts, next_at, lease_until, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
  unrouted: `
    SELECT e.seq, e.id, e.event, e.received_at, w.body, e.item_index, e.routed_at
    FROM events e JOIN webhooks w ON w.seq = e.webhook_seq
    WHERE e.routed_at IS NULL ORDER BY e.seq LIMIT ?`,
  eventById: `
    SELECT e.seq, e.id, e.event, e.received_at, w.body, e.item_index, e.routed_at
    FROM events e JOIN webhooks w ON w.seq = e.webhook_seq WHERE e.id = ?`,
  // A replayed event plans its deliveries again: an existing row starts over as pending.
  upsertDelivery: `
    INSERT INTO deliveries (event_seq, connector, route, params, chat_key, status, attempts, next_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
    ON CONFLICT (event_seq, connector) DO UPDATE SET
      status = 'pending', attempts = 0, next_at = excluded.next_at, lease_until = NULL, last_error = NULL,
      route = excluded.route, params = excluded.params, chat_key = excluded.chat_key, updated_at = excluded.updated_at`,
  markRouted: `UPDATE events SET routed_at = ? WHERE seq = ?`,
  dueIds: `SELECT d.id FROM deliveries d WHERE ${DUE} ORDER BY d.next_at, d.id LIMIT ?`,
  // Per-chat order: the claim walks these in id order and takes what no earlier delivery blocks (raw rows).
  pendingInOrder: `
    SELECT id, chat_key, next_at, lease_until FROM deliveries
    WHERE connector = ? AND status = 'pending' ORDER BY id`,
  claimedRows: `SELECT ${CLAIM_COLUMNS} WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id`,
  lease: `
    UPDATE deliveries SET lease_until = ?, attempts = attempts + 1, updated_at = ?
    WHERE id IN (SELECT value FROM json_each(?))`,
  updateDelivery: `
    UPDATE deliveries SET status = ?, next_at = COALESCE(?, next_at), last_error = ?, ref = ?, lease_until = NULL, updated_at = ?
    WHERE id = ?`,
  insertAttempt: `INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, outcome, error, ref, exchange) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  nextDue: `SELECT MIN(next_at) AS next FROM deliveries WHERE connector = ? AND status = 'pending' AND lease_until IS NULL AND next_at > ?`,
  releaseLeases: `UPDATE deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL`,
  listDeliveries: `
    SELECT d.id, e.id AS event_id, e.event, e.received_at, d.connector, d.route, d.status, d.attempts,
           d.next_at, d.last_error, d.ref, d.updated_at
    FROM deliveries d JOIN events e ON e.seq = d.event_seq
    WHERE (@status IS NULL OR d.status = @status) AND (@connector IS NULL OR d.connector = @connector)
      AND (@eventId IS NULL OR e.id = @eventId)
    ORDER BY d.updated_at DESC, d.id DESC LIMIT @limit`,
  replayDeadById: `
    UPDATE deliveries SET status = 'pending', attempts = 0, next_at = ?, lease_until = NULL, updated_at = ?
    WHERE id = ? AND status = 'dead'`,
  replayDead: `
    UPDATE deliveries SET status = 'pending', attempts = 0, next_at = @now, lease_until = NULL, updated_at = @now
    WHERE status = 'dead' AND (@connector IS NULL OR connector = @connector)`,
  unroute: `
    UPDATE events SET routed_at = NULL
    WHERE received_at >= @since AND received_at < @until AND (@event IS NULL OR event = @event) AND routed_at IS NOT NULL`,
  prunable: `
    SELECT e.seq, e.webhook_seq FROM events e
    WHERE e.routed_at IS NOT NULL AND e.received_at < @deliveredBefore
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending')
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'dead' AND d.updated_at >= @deadBefore)
    LIMIT 5000`,
  deleteAttemptsOf: `DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = ?)`,
  deleteDeliveriesOf: `DELETE FROM deliveries WHERE event_seq = ?`,
  deleteEvent: `DELETE FROM events WHERE seq = ?`,
  deleteWebhookIfOrphan: `DELETE FROM webhooks WHERE seq = @seq AND NOT EXISTS (SELECT 1 FROM events WHERE webhook_seq = @seq)`,
  eventCounts: `SELECT COUNT(*) AS events, SUM(routed_at IS NULL) AS unrouted FROM events`,
  connectorCounts: `
    SELECT connector, SUM(status = 'pending') AS pending, SUM(status = 'dead') AS dead,
           MIN(CASE WHEN status = 'pending' THEN next_at END) AS oldest
    FROM deliveries WHERE status IN ('pending', 'dead') GROUP BY connector`,
  stateGet: `SELECT value FROM connector_state WHERE connector = ? AND key = ?`,
  stateSet: `
    INSERT INTO connector_state (connector, key, value) VALUES (?, ?, ?)
    ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value`,
  stateDelete: `DELETE FROM connector_state WHERE connector = ? AND key = ?`,
  pause: `INSERT INTO connector_pauses (connector, paused_at) VALUES (?, ?) ON CONFLICT (connector) DO NOTHING`,
  resume: `DELETE FROM connector_pauses WHERE connector = ?`,
  paused: `SELECT connector FROM connector_pauses ORDER BY connector`,
  deliveriesOfEvents: `
    SELECT d.id, d.event_seq, d.connector, d.status, d.attempts FROM deliveries d
    WHERE d.event_seq IN (SELECT value FROM json_each(?)) ORDER BY d.id`,
  attemptsOf: `
    SELECT delivery_id, attempt, started_at, duration_ms, outcome, error, ref, exchange FROM attempts
    WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY started_at, rowid`,
  replayEvent: `UPDATE events SET routed_at = NULL WHERE id = ?`,
  attemptCounts: `
    SELECT d.connector, a.outcome, COUNT(*) AS n FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
    WHERE a.started_at >= ? GROUP BY d.connector, a.outcome`,
  ping: `SELECT 1`,
} as const;

export type Statements = { readonly [K in keyof typeof SQL]: Statement };

/** Statements read as arrays rather than objects (walked row by row, in a hot path). */
const RAW: ReadonlySet<keyof typeof SQL> = new Set(['pendingInOrder']);

/** Prepare every statement once. */
export function prepareStatements(db: Database): Statements {
  return Object.fromEntries(
    Object.entries(SQL).map(([name, text]) => {
      const statement = db.prepare(text);
      return [name, RAW.has(name as keyof typeof SQL) ? statement.raw(true) : statement];
    }),
  ) as unknown as Statements;
}
