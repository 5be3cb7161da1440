import type { ConnectorPauses, ConnectorStateStore, StoreReplay, StoreRetention } from '../store.ts';
import type { PostgresConnection } from './connection.ts';

/** The operator and connector roles of the PostgreSQL store: replays, retention, pauses, connector state. */
export class PostgresControl implements StoreReplay, StoreRetention, ConnectorPauses, ConnectorStateStore {
  constructor(private readonly connection: PostgresConnection) {}

  async replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number> {
    const { rowCount } = query.ids
      ? await this.connection.query(
          `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = $1, lease_until = NULL, updated_at = $1 WHERE status = 'dead' AND id = ANY($2::bigint[])`,
          [now, query.ids.map(Number)],
        )
      : await this.connection.query(
          `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = $1, lease_until = NULL, updated_at = $1 WHERE status = 'dead' AND ($2::text IS NULL OR connector = $2)`,
          [now, query.connector ?? null],
        );
    if (rowCount)
      await this.connection.query('SELECT pg_notify($1, $2)', [
        this.connection.deliveriesChannel,
        query.connector ?? '',
      ]);
    return rowCount ?? 0;
  }

  async replayEvents(query: { since: number; until?: number; event?: string }): Promise<number> {
    const { rowCount } = await this.connection.query(
      `UPDATE events SET routed_at = NULL, route_lease_until = NULL
       WHERE received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR event = $3) AND routed_at IS NOT NULL`,
      [query.since, query.until ?? Number.MAX_SAFE_INTEGER, query.event ?? null],
    );
    if (rowCount) await this.connection.query(`SELECT pg_notify('${this.connection.eventsChannel}', '')`);
    return rowCount ?? 0;
  }

  async prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }> {
    return this.connection.transaction(async (client) => {
      const { rows } = await client.query<{ seq: string; webhook_seq: string }>(
        `SELECT e.seq, e.webhook_seq FROM events e
         WHERE e.routed_at IS NOT NULL AND e.received_at < $1
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending')
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'dead' AND d.updated_at >= $2)
         LIMIT 5000 FOR UPDATE SKIP LOCKED`,
        [policy.deliveredBefore, policy.deadBefore],
      );
      const seqs = rows.map((row) => row.seq);
      if (seqs.length === 0) return { events: 0 };
      await client.query(
        'DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = ANY($1::bigint[]))',
        [seqs],
      );
      await client.query('DELETE FROM deliveries WHERE event_seq = ANY($1::bigint[])', [seqs]);
      await client.query('DELETE FROM events WHERE seq = ANY($1::bigint[])', [seqs]);
      await client.query(
        'DELETE FROM webhooks w WHERE w.seq = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM events e WHERE e.webhook_seq = w.seq)',
        [[...new Set(rows.map((row) => row.webhook_seq))]],
      );
      return { events: seqs.length };
    });
  }

  async redeliver(ids: readonly string[], now: number): Promise<number> {
    const { rowCount } = await this.connection.query(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = $1, lease_until = NULL, updated_at = $1
       WHERE id = ANY($2::bigint[]) AND (lease_until IS NULL OR lease_until <= $1)`,
      [now, ids.map(Number)],
    );
    if (rowCount) await this.connection.query(`SELECT pg_notify('${this.connection.deliveriesChannel}', '')`);
    return rowCount ?? 0;
  }

  async replayEvent(id: string): Promise<boolean> {
    const { rowCount } = await this.connection.query(
      'UPDATE events SET routed_at = NULL, route_lease_until = NULL WHERE id = $1',
      [id],
    );
    if (rowCount) await this.connection.query(`SELECT pg_notify('${this.connection.eventsChannel}', '')`);
    return (rowCount ?? 0) > 0;
  }

  async stateGet(connector: string, key: string): Promise<string | undefined> {
    const { rows } = await this.connection.query<{ value: string }>(
      'SELECT value FROM connector_state WHERE connector = $1 AND key = $2',
      [connector, key],
    );
    return rows[0]?.value;
  }

  async stateSet(connector: string, key: string, value: string): Promise<void> {
    await this.connection.query(
      'INSERT INTO connector_state (connector, key, value) VALUES ($1, $2, $3) ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value',
      [connector, key, value],
    );
  }

  async stateDelete(connector: string, key: string): Promise<void> {
    await this.connection.query('DELETE FROM connector_state WHERE connector = $1 AND key = $2', [connector, key]);
  }

  async setPaused(connector: string, paused: boolean, now: number): Promise<void> {
    if (paused)
      await this.connection.query(
        'INSERT INTO connector_pauses (connector, paused_at) VALUES ($1, $2) ON CONFLICT (connector) DO NOTHING',
        [connector, now],
      );
    else await this.connection.query('DELETE FROM connector_pauses WHERE connector = $1', [connector]);
  }

  async pausedConnectors(): Promise<string[]> {
    const { rows } = await this.connection.query<{ connector: string }>(
      'SELECT connector FROM connector_pauses ORDER BY connector',
    );
    return rows.map((row) => row.connector);
  }
}
