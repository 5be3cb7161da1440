/**
 * JSON Schema of a route's `when` filter. In zod it is a `z.custom` checked by code
 * (src/rules/when-schema.ts), which knows more than a JSON Schema can say (typos in paths with the
 * nearest valid name, regex syntax, never-matching literals); this schema gives editors the shape
 * and the operators for completion, and leaves the fine checks to `wa-router validate`.
 */

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });

const scalar = { type: ['string', 'number', 'boolean', 'null'] };

/** Dotted paths worth offering for completion; any other path (e.g. `data.…`) is accepted too. */
const KNOWN_PATHS: Record<string, { description: string; enum?: string[]; examples?: string[] }> = {
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

const OPERATOR_DESCRIPTIONS = {
  $eq: ['equals', ref('when.literal')],
  $ne: ['differs from (or is missing)', ref('when.literal')],
  $in: ['equals one of', { type: 'array', items: ref('when.literal') }],
  $nin: ['equals none of', { type: 'array', items: ref('when.literal') }],
  $exists: ['is present (true) or missing (false)', { type: 'boolean' }],
  $regex: ['matches a regular expression (leading (?i), (?m), (?s) flags allowed)', { type: 'string' }],
  $gt: ['greater than', { type: ['number', 'string'] }],
  $gte: ['greater than or equal to', { type: ['number', 'string'] }],
  $lt: ['less than', { type: ['number', 'string'] }],
  $lte: ['less than or equal to', { type: ['number', 'string'] }],
  $contains: ['text contains, or list holds', ref('when.literal')],
  $startsWith: ['text starts with', { type: 'string' }],
  $not: ['none of these operators holds', ref('when.operators')],
} as const;

export const WHEN_DEFINITIONS: Record<string, unknown> = {
  when: {
    description:
      'Filter over the normalized event: dotted paths mapped to a value (equals; for lists: contains) or to operators ' +
      '($eq $ne $in $nin $exists $regex $gt $gte $lt $lte $contains $startsWith $not), combined with $and, $or, $not. ' +
      'Omit `when` to match every event.',
    type: 'object',
    properties: {
      $and: { description: 'Every document matches.', type: 'array', minItems: 1, items: ref('when') },
      $or: { description: 'At least one document matches.', type: 'array', minItems: 1, items: ref('when') },
      $not: { description: 'The document does not match.', ...ref('when') },
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
    properties: Object.fromEntries(
      Object.entries(OPERATOR_DESCRIPTIONS).map(([operator, [description, schema]]) => [
        operator,
        { description, ...schema },
      ]),
    ),
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
