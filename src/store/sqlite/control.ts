import type { ConnectorPauses, ConnectorStateStore, StoreReplay, StoreRetention } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

/** The operator and connector roles of the SQLite store: replays, retention, pauses, connector state. */
export class SqliteControl implements StoreReplay, StoreRetention, ConnectorPauses, ConnectorStateStore {
  constructor(private readonly connection: SqliteConnection) {}

  replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number> {
    const { sql } = this.connection;
    return this.connection.write(() => {
      if (query.ids) {
        let changed = 0;
        for (const id of query.ids) changed += sql.replayDeadById.run(now, now, Number(id)).changes;
        return changed;
      }
      return sql.replayDead.run({ now, connector: query.connector ?? null }).changes;
    }, true);
  }

  replayEvents(query: { since: number; until?: number; event?: string }): Promise<number> {
    return this.connection.write(
      () =>
        this.connection.sql.unroute.run({
          since: query.since,
          until: query.until ?? Number.MAX_SAFE_INTEGER,
          event: query.event ?? null,
        }).changes,
      true,
    );
  }

  redeliver(ids: readonly string[], now: number): Promise<number> {
    return this.connection.write(() => {
      const statement = this.connection.db.prepare(
        `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = @now, lease_until = NULL, updated_at = @now
         WHERE id = @id AND (lease_until IS NULL OR lease_until <= @now)`,
      );
      let changed = 0;
      for (const id of ids) changed += statement.run({ id: Number(id), now }).changes;
      return changed;
    }, true);
  }

  replayEvent(id: string): Promise<boolean> {
    return this.connection.write(() => this.connection.sql.replayEvent.run(id).changes > 0, true);
  }

  prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }> {
    const { sql } = this.connection;
    return this.connection.write(() => {
      const rows = sql.prunable.all(policy) as { seq: number; webhook_seq: number }[];
      for (const row of rows) {
        sql.deleteAttemptsOf.run(row.seq);
        sql.deleteDeliveriesOf.run(row.seq);
        sql.deleteEvent.run(row.seq);
      }
      for (const webhookSeq of new Set(rows.map((row) => row.webhook_seq)))
        sql.deleteWebhookIfOrphan.run({ seq: webhookSeq });
      return { events: rows.length };
    });
  }

  setPaused(connector: string, paused: boolean, now: number): Promise<void> {
    return this.connection.write(() => {
      if (paused) this.connection.sql.pause.run(connector, now);
      else this.connection.sql.resume.run(connector);
    }, true);
  }

  pausedConnectors(): Promise<string[]> {
    return this.connection.read(() =>
      (this.connection.sql.paused.all() as { connector: string }[]).map((row) => row.connector),
    );
  }

  stateGet(connector: string, key: string): Promise<string | undefined> {
    return this.connection.read(
      () => (this.connection.sql.stateGet.get(connector, key) as { value: string } | undefined)?.value,
    );
  }

  stateSet(connector: string, key: string, value: string): Promise<void> {
    return this.connection.write(() => {
      this.connection.sql.stateSet.run(connector, key, value);
    }, true);
  }

  stateDelete(connector: string, key: string): Promise<void> {
    return this.connection.write(() => {
      this.connection.sql.stateDelete.run(connector, key);
    }, true);
  }
}
