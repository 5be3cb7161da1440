import { duration, template, z } from '../../src/sdk/index.ts';

/** The hubspot connector's config and a route's `with:` block (the actions), as zod schemas. */

const TaskSchema = z
  .object({
    subject: template().describe('Task title (hs_task_subject).'),
    body: template().optional().describe('Task notes (hs_task_body, plain text).'),
    priority: z.enum(['LOW', 'MEDIUM', 'HIGH']).optional().describe('hs_task_priority.'),
    dueInMinutes: z
      .number()
      .int()
      .min(0)
      .default(24 * 60)
      .describe('Due date, counted from the message time.'),
    ownerId: z.string().min(1).optional().describe('hubspot_owner_id of the assignee.'),
  })
  .strict();

const Actions = {
  note: template().optional().describe('Create a note on the contact with this body (plain text; see `noteFormat`).'),
  properties: z
    .record(z.string().min(1), template())
    .optional()
    .describe('Update these contact properties (values are templates).'),
  task: z
    .preprocess((value) => (typeof value === 'string' ? { subject: value } : value), TaskSchema.optional())
    .describe('Create a task on the contact (a string is its subject).'),
};

export const HubSpotConfig = z
  .object({
    token: z
      .string()
      .min(1)
      .describe('Private app access token, from ${VAR} (scopes crm.objects.contacts.read/write).'),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.hubapi.com')
      .describe('Base URL of the HubSpot API (tests point it at a fake).'),
    contactId: template()
      .prefault('{{ contact.metadata.CRM_CUSTOMER_ID }}')
      .describe('HubSpot contact id, read from the event.'),
    lookupBy: z
      .literal('phone')
      .optional()
      .describe('When `contactId` renders empty, search contacts by the WhatsApp phone.'),
    lookupProperties: z
      .array(z.string().min(1))
      .min(1)
      .max(2)
      .default(['phone', 'mobilephone'])
      .describe('Contact properties compared with the phone.'),
    createIfMissing: z
      .boolean()
      .default(false)
      .describe('Create the contact when the phone search finds none (needs `lookupBy: phone`).'),
    createProperties: z
      .record(z.string().min(1), template())
      .prefault({ phone: '{{ contact.phone }}', firstname: '{{ contact.name }}' })
      .describe('Properties of a created contact (templates); empty values are left out.'),
    noteFormat: z
      .enum(['text', 'html'])
      .default('text')
      .describe('`text`: the rendered note is HTML-escaped, newlines become <br>. `html`: sent as written.'),
    searchSettleMs: duration()
      .default(10_000)
      .describe('After an unanswered create, how long HubSpot search may lag before creating again.'),
    writeBack: z
      .object({
        token: z.string().min(1).describe('Wassenger API key, from ${VAR}.'),
        apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.wassenger.com'),
        key: z
          .string()
          .regex(/^[A-Za-z0-9_:.-]{1,30}$/)
          .default('CRM_CUSTOMER_ID')
          .describe('Metadata key written on the WhatsApp contact.'),
      })
      .strict()
      .optional()
      .describe('When the contact was found by phone or created, store its id in the Wassenger contact metadata.'),
    ...Actions,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.createIfMissing && !config.lookupBy)
      ctx.addIssue({
        code: 'custom',
        path: ['createIfMissing'],
        message: 'createIfMissing needs `lookupBy: phone` (a contact is only created after a search finds none)',
      });
  });

export const HubSpotParams = z.object(Actions).strict();

export type Config = z.output<typeof HubSpotConfig>;
export type Params = z.output<typeof HubSpotParams>;
export type Task = z.output<typeof TaskSchema>;
