import { z } from 'zod';
import { MediaSchema } from '../media/config.ts';
import { WhenSchema } from '../rules/index.ts';
import { duration as durationField } from '../sdk/units.ts';
import { duration, size } from './units.ts';

/** Names of connector instances and routes: letters, digits, `_` and `-`. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const name = (what: string) =>
  z.string().regex(NAME, `${what} names use letters, digits, "_" and "-", starting with a letter`);

export const ServerSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port of the receiver.'),
    host: z.string().default('0.0.0.0').describe('Address to listen on.'),
    path: z.string().startsWith('/').default('/webhooks/wassenger').describe('Path Wassenger posts to.'),
    secret: z
      .string()
      .min(8, 'the webhook secret must be at least 8 characters')
      .describe('Shared secret, sent as ?key=… or the X-Webhook-Secret header.'),
    bodyLimit: size.default(1024 * 1024).describe('Largest accepted webhook body.'),
    requestTimeout: duration.default(30_000).describe('Time allowed to receive a whole request.'),
    shutdownGrace: duration.default(8_000).describe('Time SIGTERM waits for in-flight work before closing.'),
  })
  .strict();

/** Per-instance overrides of the connector's delivery policy. */
export const DeliveryOverridesSchema = z
  .object({
    maxBatch: z.number().int().min(1).max(1000),
    maxInFlight: z.number().int().min(1).max(256),
    ratePerSec: z.number().min(0),
    callsPerSec: z.number().min(0),
    timeoutMs: durationField({ min: 1 }).describe(
      'Deadline of one delivery call, e.g. 10s; past it the batch is retried.',
    ),
    maxAttempts: z.number().int().min(1),
    maxAgeMs: durationField({ min: 1 }),
    backoffBaseMs: durationField({ min: 1 }),
    maxBackoffMs: durationField({ min: 1 }),
    orderBy: z.enum(['none', 'chat']),
  })
  .partial()
  .strict();

/** `type` and `delivery` are the router's; every other key belongs to the connector type's schema. */
export const ConnectorEntrySchema = z
  .object({ type: z.string().min(1), delivery: DeliveryOverridesSchema.optional() })
  .loose();

export const RouteTargetSchema = z.union([
  name('connector'),
  z.object({ connector: name('connector'), with: z.record(z.string(), z.unknown()).optional() }).strict(),
]);

export const RouteSchema = z
  .object({
    name: name('route'),
    when: WhenSchema.optional(),
    to: z.array(RouteTargetSchema).min(1, 'a route needs at least one connector in `to`'),
  })
  .strict();

export const ConfigSchema = z
  .object({
    server: ServerSchema,
    store: z
      .string()
      .default('sqlite:./data/wa-router.db')
      .describe('sqlite:<path> (relative to the working directory).'),
    plugins: z.array(z.string().min(1)).default([]).describe('Custom connector modules, relative to the config file.'),
    connectors: z.record(name('connector'), ConnectorEntrySchema).default({}),
    routes: z.array(RouteSchema).default([]),
    retention: z
      .object({
        delivered: duration.prefault('7d').describe('Keep events whose deliveries all finished this long.'),
        dead: duration.prefault('30d').describe('Keep dead letters this long.'),
      })
      .strict()
      .default({ delivered: 7 * 86_400_000, dead: 30 * 86_400_000 }),
    admin: z
      .object({
        token: z
          .string()
          .refine(
            (token) => token === '' || token.length >= 16,
            'the admin token must be at least 16 characters (or empty: admin API and console off)',
          )
          .default('')
          .describe('Bearer token of the admin API and the console at /console; empty turns both off (404).'),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .optional()
          .describe(
            'Serve /metrics, the admin API and the console on this port instead of the webhook port (which then answers 404 for them). Unset (the default): everything on server.port.',
          ),
        host: z.string().default('127.0.0.1').describe('Address of admin.port (default: this machine only).'),
      })
      .strict()
      .default({ token: '', host: '127.0.0.1' }),
    metrics: z
      .object({
        token: z
          .string()
          .refine(
            (token) => token === '' || token.length >= 16,
            'the metrics token must be at least 16 characters (or empty: /metrics open)',
          )
          .default('')
          .describe(
            'Bearer token Prometheus must send to read /metrics (authorization.credentials in its scrape config); empty (the default): open.',
          ),
      })
      .strict()
      .default({ token: '' }),
    alerts: z
      .object({
        failingAfter: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe('Failed attempts in a row (no delivery between) that raise router:connector:failing.'),
        maxPerMinute: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe('At most this many router:* events per connector per minute; the rest are counted, not sent.'),
      })
      .strict()
      .default({ failingAfter: 5, maxPerMinute: 10 })
      .describe(
        "The router's own events (router:delivery:dead, router:connector:failing|recovered), routed like any event.",
      ),
    capture: z
      .object({
        attempts: z
          .enum(['all', 'failures', 'off'])
          .default('failures')
          .describe(
            "Which delivery attempts keep their request and response (secrets masked, bodies cut to 4 KB) for the event's timeline: `failures` (the default) keeps those answered retry or failed, which are the ones looked at, and adds nothing to a delivery that succeeds at once; `all` keeps every attempt's (up to about 9 KB more written per attempt); `off` keeps none.",
          ),
      })
      .strict()
      .default({ attempts: 'failures' })
      .describe("Each attempt's request and response, as the console shows them (docs/console.md)."),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        access: z
          .union([z.boolean(), z.number().min(0).max(1)])
          .default(true)
          .describe(
            'The info line per accepted webhook (status, items, duration, client, request id): true (the default) for each, false for none, or a fraction such as 0.1 to log that share. Rejected webhooks are always logged.',
          ),
      })
      .strict()
      .default({ level: 'info', access: true }),
    media: MediaSchema.optional().describe(
      'Download the files of media messages, keep them, and put a signed link in the events (docs/media.md).',
    ),
  })
  .strict();

export type RawConfig = z.output<typeof ConfigSchema>;
