import pg from 'pg';
import { StoreUnavailableError } from '../store.ts';
import { MIGRATIONS } from './schema.ts';

/** Advisory lock key of the migrations ("waro" in ASCII). */
const MIGRATION_LOCK = 0x7761726f;

export interface PostgresOptions {
  /** postgres://user@host:port/db — with `?schema=NAME` to keep the router's tables in a schema. */
  readonly url: string;
  readonly poolSize?: number;
}

/**
 * The connections the role files of the PostgreSQL adapter share: two pools (durable writes and
 * bookkeeping), the schema, and the NOTIFY channels.
 */
export class PostgresConnection {
  /** Writes that must survive a crash of the database server (acknowledged events, state). */
  readonly pool: pg.Pool;
  /**
   * Routing and delivery bookkeeping, committed with synchronous_commit=off: a commit lost in a
   * database crash only means the work is done again (at-least-once), and no commit waits on a
   * WAL flush. The same trade as the SQLite store's NORMAL commits.
   */
  readonly fast: pg.Pool;
  readonly schema: string | undefined;
  /** NOTIFY channels are database-wide: name them after the schema, so clusters do not wake each other. */
  readonly eventsChannel: string;
  readonly deliveriesChannel: string;
  private closed = false;

  private constructor(options: PostgresOptions) {
    const url = new URL(options.url);
    this.schema = url.searchParams.get('schema') ?? undefined;
    if (this.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) {
      throw new Error('the ?schema= of a postgres store must be a lower-case identifier');
    }
    url.searchParams.delete('schema');
    this.eventsChannel = `wa_router_events${this.schema ? `_${this.schema}` : ''}`;
    this.deliveriesChannel = `wa_router_deliveries${this.schema ? `_${this.schema}` : ''}`;
    const searchPath = this.schema ? `-c search_path=${this.schema}` : '';
    this.pool = new pg.Pool({ connectionString: url.toString(), max: options.poolSize ?? 10, options: searchPath });
    this.fast = new pg.Pool({
      connectionString: url.toString(),
      max: options.poolSize ?? 10,
      options: `${searchPath} -c synchronous_commit=off`.trim(),
    });
    for (const pool of [this.pool, this.fast]) {
      pool.on('error', () => {
        // An idle client lost its connection; the pool replaces it. Queries report their own errors.
      });
    }
  }

  /** Connect, create the schema if asked for, and apply pending migrations under an advisory lock. */
  static async open(options: PostgresOptions): Promise<PostgresConnection> {
    const connection = new PostgresConnection(options);
    try {
      await connection.migrate();
    } catch (error) {
      await Promise.all([connection.pool.end(), connection.fast.end()]);
      throw error;
    }
    return connection;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS wa_router_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT max(version) AS version FROM wa_router_migrations',
      );
      for (let index = rows[0]?.version ?? 0; index < MIGRATIONS.length; index++) {
        await client.query(MIGRATIONS[index]!);
        await client.query('INSERT INTO wa_router_migrations (version) VALUES ($1)', [index + 1]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** One statement (its own transaction); on the durable pool unless told otherwise. */
  async query<R extends pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
    pool: pg.Pool = this.pool,
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    try {
      return await pool.query<R>(text as string, values);
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  /** A bookkeeping transaction (on the fast pool). */
  async transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.fast.connect();
    } catch (error) {
      throw asUnavailable(error);
    }
    try {
      await client.query('BEGIN');
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw asUnavailable(error);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.fast.end()]);
  }
}

export function asUnavailable(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  // Connection failures, and PostgreSQL classes 08 (connection), 53 (resources), 57 (operator), 58 (system).
  if (/^(08|53|57|58)/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH)$/.test(code)) {
    return new StoreUnavailableError(`store unavailable (${code}): ${message}`);
  }
  return error instanceof Error ? error : new Error(message);
}
