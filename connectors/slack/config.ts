import { TemplateError, template, templateTreeProblems, z } from '../../src/sdk/index.ts';
import { compileBlocks } from './message.ts';

/** The default message: who wrote, then the text (or the message type, for media without a caption). */
export const DEFAULT_TEXT =
  '*{{ contact.name | default: contact.phone | default: message.from }}*: {{ message.body | default: message.type }}';

/** A channel id (C…, G…, D…) or a `#name`, resolved once through conversations.list. */
const CHANNEL = /^(#[^\s#,<>|@]{1,80}|[CGD][A-Z0-9]{2,})$/u;

export const channel = () =>
  z
    .string()
    .regex(CHANNEL, 'expected a channel id such as C0123ABCD or a name such as #support')
    .describe('Channel to post to: an id (C0123ABCD; required for private channels) or a public #name.');

/** A Block Kit `blocks` array (at most 50) whose strings are templates. */
export const blocks = () =>
  z
    .json()
    .superRefine((value, ctx) => {
      if (!Array.isArray(value)) ctx.addIssue({ code: 'custom', message: 'blocks must be a list of Block Kit blocks' });
      else if (value.length > 50)
        ctx.addIssue({ code: 'custom', message: `Slack allows at most 50 blocks (got ${value.length})` });
      else if (
        value.some(
          (block) =>
            block === null ||
            typeof block !== 'object' ||
            Array.isArray(block) ||
            typeof (block as { type?: unknown }).type !== 'string',
        )
      ) {
        ctx.addIssue({ code: 'custom', message: 'every block must be an object with a "type"' });
      }
    })
    .transform((value, ctx) => {
      const problems = templateTreeProblems(value);
      for (const { path, message } of problems) ctx.addIssue({ code: 'custom', message, path: [...path] });
      if (problems.length > 0) return z.NEVER;
      try {
        return compileBlocks(value);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid template: ${error instanceof TemplateError ? error.message : String(error)}`,
        });
        return z.NEVER;
      }
    })
    .describe('Block Kit blocks (a YAML list) with templates inside; user values are escaped in mrkdwn text.');

export const SlackConfig = z
  .object({
    token: z.string().min(1).describe('Bot token (xoxb-…). Write it as ${SLACK_BOT_TOKEN}; it is never logged.'),
    apiUrl: z
      .string()
      .url()
      .default('https://slack.com/api/')
      .describe('Base URL of the Slack Web API (tests point it at a local fake).'),
    channel: channel(),
    text: template()
      .prefault(DEFAULT_TEXT)
      .describe(
        'Message text (mrkdwn) as a template; values from the event are escaped. With `blocks`, it is the notification text.',
      ),
    blocks: blocks().optional(),
    threadBy: z
      .enum(['none', 'chat'])
      .default('none')
      .describe('`chat`: the first message of a WhatsApp chat starts a Slack thread, later ones reply in it.'),
    username: template()
      .optional()
      .describe('Display name of the bot for these messages (template; needs the chat:write.customize scope).'),
    iconEmoji: z
      .string()
      .regex(/^:[a-z0-9_+'-]+:$/, 'expected an emoji code such as :speech_balloon:')
      .optional()
      .describe('Icon of the bot for these messages, e.g. :speech_balloon: (needs chat:write.customize).'),
    unfurlLinks: z.boolean().default(false).describe('Let Slack unfurl links in the text.'),
    unfurlMedia: z.boolean().default(false).describe('Let Slack unfurl media links.'),
    uploadMedia: z
      .boolean()
      .optional()
      .describe(
        'With `media:` configured (default true then): upload the file of a media message into the thread, the text as its comment; false posts a link to it.',
      ),
    channelRatePerSec: z
      .number()
      .min(0)
      .default(1)
      .describe('Messages per second per channel (Slack allows about 1); 0 turns the per-channel limit off.'),
  })
  .strict();

export const SlackParams = z
  .object({
    channel: channel().optional().describe("Channel for this route instead of the connector's."),
    text: template().optional().describe("Text for this route instead of the connector's."),
    blocks: blocks().optional().describe("Blocks for this route instead of the connector's."),
  })
  .strict();

export type SlackConfigOutput = z.output<typeof SlackConfig>;
export type SlackParamsOutput = z.output<typeof SlackParams>;
