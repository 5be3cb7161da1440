import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { builtinConnectors } from '../../connectors/index.ts';
import { configJsonSchemaText } from '../schema/config-schema.ts';

export const SCHEMA_FILE_NAME = 'wa-router.schema.json';

/**
 * The commented starter config `wa-router init` writes. It runs as is (with WA_ROUTER_SECRET set):
 * every event is stored and appended to ./data/events.jsonl; the other connectors are commented
 * out examples. A test validates it.
 */
export const STARTER_CONFIG = `# yaml-language-server: $schema=./${SCHEMA_FILE_NAME}
# wa-router config. Editors with the YAML language server (VS Code: the "YAML" extension) complete
# and check fields from ${SCHEMA_FILE_NAME}, next to this file. \`wa-router validate\` checks
# everything, with file:line:col. Reference: https://github.com/wa-router/wa-router#configuration

server:
  port: 8080                          # default 8080
  path: /webhooks/wassenger           # Wassenger posts to https://your-host/webhooks/wassenger?key=<secret>
  secret: \${WA_ROUTER_SECRET}         # required, at least 8 characters; \${VAR} reads the environment
  # bodyLimit: 1mb
  # shutdownGrace: 8s                 # SIGTERM waits this long for work in flight

# SQLite file, relative to the working directory. For several instances:
#   store: postgres://wa_router:\${PGPASSWORD}@db:5432/wa_router
store: sqlite:./data/wa-router.db

# Custom connector modules (.js), relative to this file; each default-exports a definition.
# plugins: [./plugins/my-connector.js]

# retention: { delivered: 7d, dead: 30d }
# log: { level: info }                # LOG_LEVEL overrides
# capture: { attempts: failures }     # request/response of attempts in the console: all | failures | off

connectors:
  # Every event as one JSON line: a safe first destination, and a record of what arrived.
  archive:
    type: file
    path: ./data/events.jsonl

  # Any HTTP endpoint; the host is fixed here, {{ }} values in the path are percent-encoded.
  # crm-hook:
  #   type: http
  #   url: https://crm.example.com/whatsapp/{{ chat.id }}
  #   headers: { Authorization: "Bearer \${CRM_TOKEN}" }
  #   body: { phone: "{{ contact.phone }}", text: "{{ message.body }}" }
  #   delivery: { maxInFlight: 4, maxAttempts: 8 }

  # support:
  #   type: slack
  #   token: \${SLACK_BOT_TOKEN}
  #   channel: "#support"
  #   threadBy: chat

  # events:
  #   type: kafka
  #   brokers: [localhost:9092]
  #   topic: whatsapp.events

routes:
  # Every matching route fires; an event reaches a connector at most once.
  - name: everything
    to: [archive]

  # - name: vip-inbound
  #   when:
  #     event: message:in:new
  #     contact.metadata.TIER: vip
  #     message.body: { $regex: "(?i)refund|urgent" }
  #   to: [support, { connector: crm-hook, with: { body: { urgent: true } } }]
`;

export interface InitResult {
  readonly ok: boolean;
  readonly messages: readonly string[];
}

/**
 * Write the starter config at `target` (a .yaml file, or a folder to put wa-router.yaml in) and the
 * JSON Schema beside it. Never overwrites the config; leaves an existing schema file alone.
 */
export async function initConfig(target = 'config/wa-router.yaml'): Promise<InitResult> {
  const file = /\.ya?ml$/i.test(target) ? resolve(target) : resolve(target, 'wa-router.yaml');
  if (existsSync(file)) {
    return { ok: false, messages: [`${file} exists already; not overwritten (remove it or give another path)`] };
  }
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  await writeFile(file, STARTER_CONFIG, { flag: 'wx' });
  const messages = [`wrote ${file}`];
  const schema = join(dir, SCHEMA_FILE_NAME);
  if (existsSync(schema)) {
    messages.push(`kept the existing ${schema}`);
  } else {
    await writeFile(schema, configJsonSchemaText(builtinConnectors));
    messages.push(
      `wrote ${schema} (editor completion; \`wa-router schema --config ${basename(file)}\` adds your plugins' types)`,
    );
  }
  messages.push(`next: set WA_ROUTER_SECRET, then: wa-router validate --config ${file}`);
  return { ok: true, messages };
}
