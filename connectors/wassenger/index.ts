import {
  defineConnector,
  delivered,
  duration,
  failed,
  skipped,
  template,
  templateScope,
  z,
  type ConnectorContext,
  type Delivery,
  type Outcome,
  type Template,
} from '../../src/sdk/index.ts';
import {
  apiRequest,
  endWith,
  errorOutcome,
  withExchange,
  type ApiClient,
  type ExchangeInput,
} from '../../src/sdk/index.ts';
import { sendReply } from './reply.ts';

/** Every reference this router puts on the messages it sends starts with this. */
export const REFERENCE_PREFIX = 'wa-router:';
const METADATA_KEY = /^[A-Za-z0-9_:.-]{1,30}$/;
const MAX_METADATA_VALUE = 300;

const ReplySchema = z.preprocess(
  (value) => (typeof value === 'string' ? { text: value } : value),
  z
    .object({
      text: template().describe('Message text (WhatsApp formatting: *bold* _italic_).'),
      quote: z.boolean().default(false).describe('Quote the incoming message.'),
      media: z
        .boolean()
        .default(false)
        .describe(
          "Send the event's media file along (its `message.media.url`; needs `media:` with a `publicUrl` Wassenger can reach). Without a stored file, the text goes alone.",
        ),
    })
    .strict(),
);

const Actions = {
  reply: ReplySchema.optional().describe('Send a message to the chat of the event (a string is its text).'),
  labels: z
    .object({
      add: z.array(template()).default([]).describe('Labels added to the chat (they must exist on the number).'),
      remove: z.array(template()).default([]).describe('Labels removed from the chat.'),
    })
    .strict()
    .optional(),
  metadata: z
    .record(z.string().regex(METADATA_KEY, 'metadata keys are 1 to 30 characters of A-Z a-z 0-9 _ : . -'), template())
    .optional()
    .describe('Set contact metadata (upsert); values are templates, empty ones are left out.'),
};

const WassengerConfig = z
  .object({
    token: z.string().min(1).describe('Wassenger API key, from ${VAR} (sent as the `Token` header).'),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.wassenger.com')
      .describe('Base URL of the Wassenger API (tests point it at a fake).'),
    reference: z
      .string()
      .startsWith(REFERENCE_PREFIX)
      .max(100)
      .optional()
      .describe('Tag of the messages sent (default `wa-router:<connector name>`).'),
    cooldownMs: duration()
      .default(60_000)
      .describe('After a reply to a chat, further replies to it within this time are skipped (0: off).'),
    device: z.string().min(1).optional().describe('Send from this device id instead of the device of the event.'),
    ...Actions,
  })
  .strict();

const WassengerParams = z.object(Actions).strict();

type Config = z.output<typeof WassengerConfig>;
type Params = z.output<typeof WassengerParams>;

interface Plan {
  readonly device: string;
  readonly labels?: { readonly add: string[]; readonly remove: string[]; readonly path: string } | undefined;
  readonly metadata?: { readonly path: string; readonly entries: { key: string; value: string }[] } | undefined;
  /** The message to send, or why no reply is sent (loop prevention). */
  readonly reply?: { readonly body: Record<string, unknown> } | { readonly blocked: string } | undefined;
}

/** Act back on WhatsApp through the Wassenger API: reply, label the chat, set contact metadata. */
export default defineConnector({
  sdkVersion: 1,
  type: 'wassenger',
  summary:
    'Act on WhatsApp through the Wassenger API: reply to the chat, add/remove chat labels, set contact metadata. Replies never loop.',
  config: WassengerConfig,
  params: WassengerParams,
  examples: [
    {
      title: 'Auto-reply (text set per route with `with: { reply: … }`)',
      config: { token: '${WASSENGER_TOKEN}', cooldownMs: 3_600_000 },
    },
    {
      title: 'Quote the message in the reply, and label the chat',
      config: {
        token: '${WASSENGER_TOKEN}',
        reply: { text: 'Thanks {{ contact.name }}, we got your message and will answer soon.', quote: true },
        labels: { add: ['auto-replied'] },
      },
    },
  ],
  // Wassenger: at most about 5 requests per second per number; one chat at a time keeps the cooldown exact.
  delivery: { maxBatch: 1, maxInFlight: 4, ratePerSec: 5, timeoutMs: 15_000, orderBy: 'chat' },
  create(config, ctx) {
    const client: ApiClient = {
      baseUrl: config.apiUrl.replace(/\/+$/, ''),
      headers: { token: config.token, 'user-agent': 'wa-router' },
      service: 'Wassenger',
    };
    const reference = config.reference ?? `${REFERENCE_PREFIX}${ctx.name}`.slice(0, 100);
    return {
      preview(delivery) {
        const steps = plan(config, reference, delivery);
        if (typeof steps === 'string') return { skip: steps };
        return { ...steps, note: 'the per-chat cooldown is checked at delivery time' };
      },
      async deliver(batch, signal) {
        return Promise.all(
          batch.map(async (delivery) => {
            // Up to four calls (labels, metadata, a search, the reply), stopping at the first that
            // fails: the last one made decided the outcome, and is what the attempt records.
            let last: ExchangeInput | undefined;
            const recording: ApiClient = {
              ...client,
              onExchange: (exchange) => {
                last = exchange;
              },
            };
            try {
              return withExchange(await deliverOne(config, ctx, recording, reference, delivery, signal), last);
            } catch (error) {
              return failed(`cannot build the Wassenger request: ${(error as Error).message}`);
            }
          }),
        );
      },
    };
  },
});

/**
 * Why this event must not get an automatic reply, or undefined when it may. A reply answers an
 * incoming message from someone else only: never an outbound event (including the
 * `message:out:new` echo of our own reply), a message sent from the number itself, a message
 * tagged by wa-router, or a channel.
 */
export function replyBlocker(delivery: Delivery): string | undefined {
  const { event, message, chat, contact, device } = delivery.event;
  if (event.startsWith('message:out'))
    return `loop prevention: ${event} is an outbound event; replies answer incoming messages only`;
  if (!message) return `no message to reply to in a ${event} event`;
  if (message.fromMe) return 'loop prevention: the message was sent from this number (fromMe)';
  if (message.reference?.startsWith(REFERENCE_PREFIX))
    return `loop prevention: the message carries wa-router's reference "${message.reference}"`;
  if (!chat) return 'the event names no chat to reply to';
  if (chat.type === 'channel') return 'channels cannot be replied to';
  if (chat.type === 'user' && device.phone && contact?.phone === device.phone)
    return 'loop prevention: the sender is this number itself';
  return undefined;
}

function targetOf(delivery: Delivery): Record<string, string> | string {
  const { chat, contact } = delivery.event;
  if (chat?.type === 'group') return { group: chat.id };
  let phone = contact?.phone;
  if (!phone && chat?.id.endsWith('@c.us')) phone = `+${chat.id.slice(0, -5).replace(/\D/g, '')}`;
  if (!phone || !/^\+[1-9]\d{1,14}$/.test(phone.replace(/[\s-]/g, '')))
    return 'cannot tell the phone number of this chat to reply to';
  return { phone: phone.replace(/[\s-]/g, '') };
}

function plan(config: Config, reference: string, delivery: Delivery<Params>): Plan | string {
  const scope = templateScope(delivery);
  const params = delivery.params ?? {};
  const fromRoute = params.reply !== undefined || params.labels !== undefined || params.metadata !== undefined;
  const actions: Params = fromRoute ? params : config;
  if (!actions.reply && !actions.labels && !actions.metadata)
    return 'nothing to do: no `reply`, `labels` or `metadata` in the route (`with:`) or the connector';
  const device = config.device ?? delivery.event.device.id;
  if (!device) return 'the event names no Wassenger device';
  const { chat, contact } = delivery.event;
  const steps: { -readonly [K in keyof Plan]: Plan[K] } = { device };
  if (actions.labels) {
    if (!chat) return 'the event names no chat to label';
    const render = (list: readonly Template[]) => [
      ...new Set(list.map((t) => t.renderString(scope).trim()).filter(Boolean)),
    ];
    steps.labels = {
      add: render(actions.labels.add),
      remove: render(actions.labels.remove),
      path: `/v1/chat/${encodeURIComponent(device)}/chats/${encodeURIComponent(chat.id)}/labels`,
    };
  }
  if (actions.metadata) {
    const wid = contact?.wid ?? (chat?.type === 'user' ? chat.id : undefined);
    if (!wid) return 'the event names no WhatsApp contact to set metadata on';
    const entries = Object.entries(actions.metadata)
      .map(([key, value]) => ({ key, value: value.renderString(scope).slice(0, MAX_METADATA_VALUE) }))
      .filter((entry) => entry.value !== '');
    steps.metadata = {
      path: `/v1/chat/${encodeURIComponent(device)}/contacts/${encodeURIComponent(wid)}/metadata`,
      entries,
    };
  }
  if (actions.reply) {
    const blocked = replyBlocker(delivery);
    const target = blocked ? undefined : targetOf(delivery);
    if (blocked || typeof target === 'string') steps.reply = { blocked: blocked ?? (target as string) };
    else {
      const text = actions.reply.text.renderString(scope);
      const quote = actions.reply.quote ? delivery.event.message?.id : undefined;
      // Forward the stored file by its signed link: Wassenger fetches it from the router.
      const file = actions.reply.media ? delivery.event.message?.media?.url : undefined;
      steps.reply =
        text.trim() === '' && !file
          ? { blocked: 'the reply text rendered empty' }
          : {
              body: {
                ...target!,
                ...(text.trim() === '' ? {} : { message: text }),
                device,
                reference,
                ...(quote ? { quote } : {}),
                ...(file ? { media: { url: file } } : {}),
              },
            };
    }
  }
  return steps;
}

async function deliverOne(
  config: Config,
  ctx: ConnectorContext,
  client: ApiClient,
  reference: string,
  delivery: Delivery<Params>,
  signal: AbortSignal,
): Promise<Outcome> {
  const steps = plan(config, reference, delivery);
  if (typeof steps === 'string') return steps.startsWith('nothing to do') ? skipped(steps) : failed(steps);
  const done: string[] = [];
  if (steps.labels) {
    for (const [mode, labels] of [
      ['upsert', steps.labels.add],
      ['remove', steps.labels.remove],
    ] as const) {
      if (labels.length === 0) continue;
      const answer = await apiRequest(client, 'PATCH', `${steps.labels.path}?${mode}=true`, labels, signal);
      if (!answer.ok) return answer.outcome;
      if (answer.value.status >= 300)
        return errorOutcome(client, answer.value, `${mode === 'upsert' ? 'adding' : 'removing'} chat labels`);
      done.push(`labels ${mode === 'upsert' ? '+' : '-'}${labels.join(',')}`);
    }
  }
  if (steps.metadata && steps.metadata.entries.length > 0) {
    const answer = await apiRequest(client, 'PATCH', steps.metadata.path, steps.metadata.entries, signal);
    if (!answer.ok) return answer.outcome;
    if (answer.value.status >= 300) return errorOutcome(client, answer.value, 'setting contact metadata');
    done.push(`metadata ${steps.metadata.entries.map((e) => e.key).join(',')}`);
  }
  if (steps.reply) {
    const replied =
      'blocked' in steps.reply
        ? endWith(skipped(steps.reply.blocked), false)
        : await sendReply({ cooldownMs: config.cooldownMs, ctx, client }, delivery, steps.reply.body, signal);
    if (!replied.ok) {
      if (replied.outcome.status !== 'skipped') return replied.outcome;
      if (done.length === 0) return replied.outcome;
      done.push(`reply skipped (${replied.outcome.reason})`);
    } else {
      done.push(`reply ${replied.value}`);
    }
  }
  return done.length === 0
    ? skipped('nothing to do: no labels or metadata values rendered')
    : delivered(done.join('; '));
}
