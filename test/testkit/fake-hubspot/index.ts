import { randomUUID } from 'node:crypto';
import { ScriptedFake, type JsonReply, type RecordedRequest } from './scripted-server.ts';

export type { Fault, RecordedRequest } from './scripted-server.ts';

/** A HubSpot CRM object as the fake keeps it. */
export interface FakeObject {
  readonly id: string;
  properties: Record<string, string>;
  /** Contact ids this note/task is associated with, and the association type ids used. */
  readonly associations: { readonly contactId: string; readonly typeId: number }[];
  readonly createdAt: string;
}

/** Association type ids HubSpot defines (HUBSPOT_DEFINED) for engagements → contacts. */
export const NOTE_TO_CONTACT = 202;
export const TASK_TO_CONTACT = 204;

/** Contact properties the fake portal knows; writing another one is a VALIDATION_ERROR, like HubSpot. */
const DEFAULT_CONTACT_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'phone',
  'mobilephone',
  'company',
  'lifecyclestage',
  'hs_whatsapp_phone_number',
  'whatsapp_last_message',
  'whatsapp_last_message_at',
  'whatsapp_opt_in',
];

export interface FakeHubSpotOptions {
  /** The private app token the fake accepts (Authorization: Bearer …). */
  readonly token: string;
  /** Extra contact properties the portal knows. */
  readonly contactProperties?: readonly string[];
}

/**
 * A local stand-in for the HubSpot CRM v3 API, for the endpoints the hubspot connector uses:
 * contacts (read, search, create, update), notes and tasks (create with associations, search).
 * It checks what HubSpot checks (bearer token, required properties, known properties, that
 * associated contacts exist), answers in HubSpot's error shape
 * `{status:"error", message, correlationId, category}`, and can be scripted to fail (`fail`).
 */
export class FakeHubSpot extends ScriptedFake {
  readonly contacts = new Map<string, FakeObject>();
  readonly notes = new Map<string, FakeObject>();
  readonly tasks = new Map<string, FakeObject>();
  private readonly known: Set<string>;
  private nextId = 51_000;

  private constructor(private readonly options: FakeHubSpotOptions) {
    super();
    this.known = new Set([...DEFAULT_CONTACT_PROPERTIES, ...(options.contactProperties ?? [])]);
  }

  static async start(options: FakeHubSpotOptions): Promise<FakeHubSpot> {
    const fake = new FakeHubSpot(options);
    await fake.server.listen();
    return fake;
  }

  /** Add a contact to the portal; returns it. */
  addContact(properties: Record<string, string>, id = String(this.nextId++)): FakeObject {
    const contact: FakeObject = {
      id,
      properties: { ...properties },
      associations: [],
      createdAt: new Date().toISOString(),
    };
    this.contacts.set(id, contact);
    return contact;
  }

  /** Notes associated with a contact. */
  notesOf(contactId: string): FakeObject[] {
    return [...this.notes.values()].filter((note) => note.associations.some((a) => a.contactId === contactId));
  }

  tasksOf(contactId: string): FakeObject[] {
    return [...this.tasks.values()].filter((task) => task.associations.some((a) => a.contactId === contactId));
  }

  protected handle(request: RecordedRequest): JsonReply {
    if (request.headers.authorization !== `Bearer ${this.options.token}`) {
      return error(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    const { method, path } = request;
    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/crm/v3/objects/contacts/search') return this.search(this.contacts, request);
    if (method === 'POST' && path === '/crm/v3/objects/notes/search') return this.search(this.notes, request);
    if (method === 'POST' && path === '/crm/v3/objects/tasks/search') return this.search(this.tasks, request);
    if (method === 'POST' && path === '/crm/v3/objects/contacts') return this.createContact(request);
    if (method === 'POST' && path === '/crm/v3/objects/notes')
      return this.createEngagement(this.notes, request, 'hs_note_body', NOTE_TO_CONTACT);
    if (method === 'POST' && path === '/crm/v3/objects/tasks')
      return this.createEngagement(this.tasks, request, 'hs_task_subject', TASK_TO_CONTACT);
    if ((match = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(path))) {
      const id = decodeURIComponent(match[1]!);
      const contact = this.contacts.get(id);
      if (method === 'GET') return contact ? { status: 200, body: view(contact) } : notFound();
      if (method === 'PATCH') {
        if (!contact) return notFound();
        const properties = propertiesOf(request.json);
        if (!properties)
          return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: "properties" is required');
        const invalid = this.invalidProperties(properties);
        if (invalid) return invalid;
        Object.assign(contact.properties, stringify(properties));
        return { status: 200, body: view(contact) };
      }
    }
    return {
      status: 404,
      body: {
        status: 'error',
        message: `Unable to route ${method} request for ${path}`,
        correlationId: randomUUID(),
        category: 'NOT_FOUND',
      },
    };
  }

  private invalidProperties(properties: Record<string, unknown>): JsonReply | undefined {
    const unknown = Object.keys(properties).filter((name) => !this.known.has(name));
    if (unknown.length === 0) return undefined;
    return {
      status: 400,
      body: {
        status: 'error',
        message:
          'Property values were not valid: ' +
          JSON.stringify(
            unknown.map((name) => ({
              isValid: false,
              message: `Property "${name}" does not exist`,
              error: 'PROPERTY_DOESNT_EXIST',
              name,
            })),
          ),
        correlationId: randomUUID(),
        category: 'VALIDATION_ERROR',
        errors: unknown.map((name) => ({
          message: `Property "${name}" does not exist`,
          code: 'PROPERTY_DOESNT_EXIST',
          context: { propertyName: [name] },
        })),
      },
    };
  }

  private createContact(request: RecordedRequest): JsonReply {
    const properties = propertiesOf(request.json);
    if (!properties) return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: "properties" is required');
    const invalid = this.invalidProperties(properties);
    if (invalid) return invalid;
    const email = properties['email'];
    if (email) {
      const existing = [...this.contacts.values()].find((c) => c.properties['email'] === email);
      if (existing) return error(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`);
    }
    const contact = this.addContact(stringify(properties));
    return { status: 201, body: view(contact) };
  }

  private createEngagement(
    store: Map<string, FakeObject>,
    request: RecordedRequest,
    requiredProperty: string,
    typeId: number,
  ): JsonReply {
    const body = request.json as { properties?: Record<string, unknown>; associations?: unknown } | undefined;
    const properties = propertiesOf(body);
    if (!properties) return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: "properties" is required');
    if (properties['hs_timestamp'] === undefined || properties['hs_timestamp'] === '') {
      return error(
        400,
        'VALIDATION_ERROR',
        'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is required","error":"REQUIRED_PROPERTY","name":"hs_timestamp"}]',
      );
    }
    if (typeof properties[requiredProperty] !== 'string' || properties[requiredProperty] === '') {
      return error(
        400,
        'VALIDATION_ERROR',
        `Property values were not valid: [{"isValid":false,"message":"${requiredProperty} is required","error":"REQUIRED_PROPERTY","name":"${requiredProperty}"}]`,
      );
    }
    if (String(properties['hs_note_body'] ?? '').length > 65_536)
      return error(400, 'VALIDATION_ERROR', 'hs_note_body is longer than 65536 characters');
    const associations: FakeObject['associations'] = [];
    for (const association of Array.isArray(body?.associations) ? (body.associations as unknown[]) : []) {
      const a = association as {
        to?: { id?: unknown };
        types?: { associationCategory?: string; associationTypeId?: number }[];
      };
      const contactId = String(a.to?.id ?? '');
      const type = a.types?.[0];
      if (type?.associationCategory !== 'HUBSPOT_DEFINED' || type.associationTypeId !== typeId) {
        return error(400, 'VALIDATION_ERROR', `Invalid association type: expected HUBSPOT_DEFINED ${typeId}`);
      }
      if (!this.contacts.has(contactId)) {
        return error(404, 'OBJECT_NOT_FOUND', `Object not found. objectId are usually numeric. (contact ${contactId})`);
      }
      associations.push({ contactId, typeId });
    }
    const object: FakeObject = {
      id: String(this.nextId++),
      properties: stringify(properties),
      associations,
      createdAt: new Date().toISOString(),
    };
    store.set(object.id, object);
    return { status: 201, body: view(object) };
  }

  /** CRM search: filterGroups are ORed, filters in a group ANDed; EQ and CONTAINS_TOKEN (substring here). */
  private search(store: Map<string, FakeObject>, request: RecordedRequest): JsonReply {
    const body = request.json as
      | { filterGroups?: { filters?: { propertyName: string; operator: string; value?: string }[] }[]; limit?: number }
      | undefined;
    const groups = body?.filterGroups ?? [];
    if (groups.length > 5)
      return error(400, 'VALIDATION_ERROR', 'There was a problem with the request: too many filter groups (max 5)');
    const matches = [...store.values()].filter((object) =>
      groups.some((group) =>
        (group.filters ?? []).every((filter) => {
          const value = object.properties[filter.propertyName];
          if (filter.operator === 'EQ') return value === filter.value;
          if (filter.operator === 'CONTAINS_TOKEN') return value?.includes(String(filter.value).replaceAll('*', ''));
          return false;
        }),
      ),
    );
    const limit = Math.min(body?.limit ?? 10, 200);
    return { status: 200, body: { total: matches.length, results: matches.slice(0, limit).map(view) } };
  }
}

function propertiesOf(json: unknown): Record<string, unknown> | undefined {
  const properties = (json as { properties?: unknown } | undefined)?.properties;
  return properties !== null && typeof properties === 'object' && !Array.isArray(properties)
    ? (properties as Record<string, unknown>)
    : undefined;
}

function stringify(properties: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, value === null ? '' : String(value)]),
  );
}

function view(object: FakeObject): object {
  return {
    id: object.id,
    properties: object.properties,
    createdAt: object.createdAt,
    updatedAt: object.createdAt,
    archived: false,
  };
}

function notFound(): JsonReply {
  return error(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');
}

function error(status: number, category: string, message: string): JsonReply {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category } };
}

/** HubSpot's answer to a burst over the ten-second limit. */
export function rateLimited(retryAfterSeconds: number): JsonReply {
  return {
    status: 429,
    headers: {
      'retry-after': String(retryAfterSeconds),
      'x-hubspot-ratelimit-max': '100',
      'x-hubspot-ratelimit-remaining': '0',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
    },
    body: {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: 'publicapi:private-app:0',
    },
  };
}
