import { DOCUMENT_OPERATORS, FIELD_OPERATORS } from './operators.ts';

/**
 * JSON Schema fragment of a route's `when` filter (the `when*` definitions of
 * config/wa-router.schema.json). In zod it is a `z.custom` checked by code (`validate.ts`), which
 * knows more than a JSON Schema can say (typos in paths with the nearest valid name, regex syntax,
 * never-matching literals); this schema gives editors the shape and the operators for completion,
 * and leaves the fine checks to `wa-router validate`. The operators come from the operator table.
 */

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });

const withDescriptions = (table: Readonly<Record<string, { summary: string; schema: object }>>) =>
  Object.fromEntries(
    Object.entries(table).map(([operator, { summary, schema }]) => [operator, { description: summary, ...schema }]),
  );

const scalar = { type: ['string', 'number', 'boolean', 'null'] };

/** Dotted paths worth offering for completion; any other path (e.g. `data.…`) is accepted too. */
export const KNOWN_PATHS: Record<string, { description: string; enum?: string[]; examples?: string[] }> = {
  event: {
    description: 'Event name.',
    examples: [
      'message:in:new',
      'message:out:new',
      'message:out:ack',
      'message:out:failed',
      'message:update',
      'message:reaction',
      'chat:update',
      'contact:update',
    ],
  },
  id: { description: 'Stable idempotency key of the event (evt_…).' },
  receivedAt: { description: 'ISO time the router received the event.' },
  'device.id': { description: 'Wassenger device id.' },
  'device.phone': { description: 'Phone number of the device.' },
  'device.alias': { description: 'Alias of the device.' },
  'chat.id': { description: 'Chat id (…@c.us, …@g.us).' },
  'chat.type': { description: 'Kind of chat.', enum: ['user', 'group', 'channel'] },
  'chat.name': { description: 'Chat name.' },
  'chat.labels': { description: 'Chat labels (a literal matches when the list contains it).' },
  'contact.phone': { description: 'Contact phone number.' },
  'contact.name': { description: 'Contact name.' },
  'contact.wid': { description: 'Contact WhatsApp id.' },
  'message.type': { description: 'Message type (text, image, …).' },
  'message.body': { description: "Message text (an image's caption)." },
  'message.fromMe': { description: 'true for messages sent by the device.' },
  'message.from': { description: 'Sender id.' },
  'message.to': { description: 'Recipient id.' },
  'message.author': { description: 'Group member who wrote the message.' },
  'message.ack': { description: 'Delivery status of an outbound message.' },
};

export const WHEN_DEFINITIONS: Record<string, unknown> = {
  when: {
    description:
      'Filter over the normalized event: dotted paths mapped to a value (equals; for lists: contains) or to operators ' +
      `(${Object.keys(FIELD_OPERATORS).join(' ')}), combined with ${Object.keys(DOCUMENT_OPERATORS).join(', ')}. ` +
      'Omit `when` to match every event.',
    type: 'object',
    properties: {
      ...withDescriptions(DOCUMENT_OPERATORS),
      ...Object.fromEntries(
        Object.entries(KNOWN_PATHS).map(([path, info]) => [
          path,
          info.enum
            ? { description: info.description, anyOf: [{ enum: info.enum }, ref('when.operators')] }
            : {
                description: info.description,
                ...(info.examples ? { examples: info.examples } : {}),
                ...ref('when.condition'),
              },
        ]),
      ),
    },
    patternProperties: { '^[^$]': ref('when.condition') },
    additionalProperties: false,
  },
  'when.literal': {
    description: 'A value to compare with: text, number, true/false, null (missing), or a list.',
    anyOf: [scalar, { type: 'array' }, { type: 'object' }],
  },
  'when.condition': {
    description: 'A value (equals), a mapping of operators, or a mapping of sub-paths.',
    anyOf: [scalar, { type: 'array' }, ref('when.operators'), ref('when.subpaths')],
  },
  'when.operators': {
    description: 'Operators applied to the value at this path.',
    type: 'object',
    minProperties: 1,
    properties: withDescriptions(FIELD_OPERATORS),
    additionalProperties: false,
  },
  'when.subpaths': {
    description: 'Shorthand for dotted paths: `contact: { metadata.TIER: vip }`.',
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: '^[^$]' },
    additionalProperties: ref('when.condition'),
  },
};
