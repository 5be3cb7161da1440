import pg from 'pg';

/** The PostgreSQL server the tests use (trust auth on loopback); PG_TEST_URL overrides it. */
export const POSTGRES_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A fresh schema name for one test, and a way to drop it afterwards. */
export function freshSchema(): { url: string; schema: string; drop(): Promise<void> } {
  const schema = `wa_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  return {
    url,
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
