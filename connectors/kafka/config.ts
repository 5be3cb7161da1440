import { duration, template, templateTree, z } from '../../src/sdk/index.ts';
import { isLiteral, topicNameProblem } from './topic-name.ts';

export const DEFAULT_KEY = '{{ device.id }}:{{ chat.id }}';

const Tls = z
  .object({
    rejectUnauthorized: z
      .boolean()
      .optional()
      .describe('Verify the broker certificate (default true). false only for testing.'),
    ca: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('PEM CA certificate(s) to trust, e.g. "${KAFKA_CA_PEM}".'),
    cert: z.string().optional().describe('PEM client certificate (mutual TLS).'),
    key: z.string().optional().describe('PEM private key of the client certificate (mutual TLS).'),
    caFile: z.string().optional().describe('File holding PEM CA certificate(s), relative to the config file.'),
    certFile: z.string().optional().describe('File holding the PEM client certificate, relative to the config file.'),
    keyFile: z.string().optional().describe('File holding the PEM client key, relative to the config file.'),
    servername: z.string().optional().describe('SNI server name, when it differs from the broker host.'),
  })
  .strict();

const Sasl = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism.'),
    username: z.string().min(1).describe('SASL user name.'),
    password: z.string().min(1).describe('SASL password; write it as ${VAR}. Never logged.'),
  })
  .strict();

export const KafkaConfig = z
  .object({
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
      .min(1)
      .describe('Bootstrap brokers, host:port.'),
    clientId: z
      .string()
      .min(1)
      .default('wa-router')
      .describe('Client id sent to the brokers (shows in their logs and quotas).'),
    topic: template()
      .superRefine((topic, ctx) => {
        // A literal name is checked when the config is loaded; a templated one when each event is rendered.
        const problem = isLiteral(topic.source) ? topicNameProblem(topic.source) : undefined;
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        'Topic (template), e.g. `whatsapp.{{ event | replace: ":", "." }}`. A rendered name that is not legal fails that delivery.',
      ),
    key: template()
      .prefault(DEFAULT_KEY)
      .describe('Record key (template); records with the same key go to the same partition, in order. Empty: no key.'),
    value: templateTree()
      .optional()
      .describe(
        'Record value: a template (sent as text) or a YAML tree of templates (sent as JSON); default: the normalized event as JSON.',
      ),
    headers: z
      .record(z.string().min(1), template())
      .default({})
      .describe(
        'Extra record headers (templates), added to wa-event, wa-event-id and wa-idempotency-key; a header that renders empty is left out.',
      ),
    compression: z.enum(['none', 'gzip']).default('none').describe('Record batch compression.'),
    acks: z
      .union([z.literal('all'), z.literal(-1), z.literal(1)])
      .default('all')
      .describe('all (= -1): every in-sync replica, with the idempotent producer; 1: the leader only, not idempotent.'),
    allowAutoTopicCreation: z
      .boolean()
      .default(false)
      .describe(
        'Let the broker create a missing topic (if auto.create.topics.enable is on). Off: an unknown topic fails the delivery.',
      ),
    ssl: z.union([z.boolean(), Tls]).default(false).describe('TLS: true, or options (CA, client certificate).'),
    sasl: Sasl.optional().describe('SASL authentication.'),
    connectionTimeoutMs: duration({ min: 1 }).default(3_000).describe('TCP + TLS connect timeout.'),
    requestTimeoutMs: duration({ min: 1 })
      .default(10_000)
      .describe('Time to wait for one broker answer; also the produce ack timeout.'),
    sendTimeoutMs: duration({ min: 1 })
      .default(25_000)
      .describe("Deadline of one send, including kafkajs's own retries (the dispatcher's timeoutMs also applies)."),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe(
        "kafkajs's retries inside one send (same sequence numbers, so never duplicated). The dispatcher retries after that.",
      ),
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(1_000_000)
      .describe(
        "A record larger than this fails with MESSAGE_TOO_LARGE before sending (keep it at or under the topic's max.message.bytes).",
      ),
    metadataMaxAgeMs: duration({ min: 1 })
      .default(300_000)
      .describe('Partition counts are re-read at least this often.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    // kafkajs refuses every send of an idempotent producer without retries: each delivery would be a dead letter.
    if (config.acks !== 1 && config.retries === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['retries'],
        message:
          'must be at least 1 with acks: all (the idempotent producer retries with the same sequence numbers); use acks: 1 for none',
      });
    }
  });

export type KafkaConfigInput = z.input<typeof KafkaConfig>;
export type KafkaConfigOutput = z.output<typeof KafkaConfig>;
