/**
 * Versioned migrations of the PostgreSQL store, applied in order at start-up under an advisory
 * lock, so several instances starting at once do not race. `wa_router_migrations` records them.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE webhooks (
    seq BIGSERIAL PRIMARY KEY,
    received_at BIGINT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    webhook_seq BIGINT NOT NULL REFERENCES webhooks(seq),
    item_index INTEGER NOT NULL,
    event TEXT NOT NULL,
    chat_id TEXT,
    received_at BIGINT NOT NULL,
    routed_at BIGINT,
    route_lease_until BIGINT
  );
  CREATE INDEX events_unrouted ON events(seq) WHERE routed_at IS NULL;
  CREATE INDEX events_received ON events(received_at);
  CREATE INDEX events_webhook ON events(webhook_seq);
  CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    event_seq BIGINT NOT NULL REFERENCES events(seq),
    connector TEXT NOT NULL,
    route TEXT NOT NULL,
    params TEXT,
    chat_key TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    ref TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_seq, connector)
  );
  CREATE INDEX deliveries_due ON deliveries(connector, next_at) WHERE status = 'pending';
  CREATE INDEX deliveries_chat ON deliveries(connector, chat_key, id) WHERE status = 'pending';
  CREATE INDEX deliveries_status ON deliveries(status, updated_at);
  CREATE TABLE attempts (
    delivery_id BIGINT NOT NULL REFERENCES deliveries(id),
    attempt INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    ref TEXT
  );
  CREATE INDEX attempts_delivery ON attempts(delivery_id);
  CREATE TABLE connector_state (
    connector TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (connector, key)
  );
  CREATE TABLE rate_buckets (
    connector TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
  );
  `,
  // Search (admin API, console): by type, chat and phone, newest first; throughput from attempts.
  `
  ALTER TABLE events ADD COLUMN contact_phone TEXT;
  CREATE INDEX events_event ON events(event, seq);
  CREATE INDEX events_chat ON events(chat_id, seq) WHERE chat_id IS NOT NULL;
  CREATE INDEX events_contact_phone ON events(contact_phone, seq) WHERE contact_phone IS NOT NULL;
  CREATE INDEX attempts_started ON attempts(started_at);
  `,
  // Paused connectors: kept, so a pause survives a restart and reaches every instance sharing the store.
  `
  CREATE TABLE connector_pauses (
    connector TEXT PRIMARY KEY,
    paused_at BIGINT NOT NULL
  );
  `,
  // Each attempt's request and response (masked, bodies cut to 4 KB), when `capture.attempts` keeps it.
  // A nullable column without a default: a catalog change only, no table rewrite.
  `
  ALTER TABLE attempts ADD COLUMN exchange TEXT;
  `,
];
