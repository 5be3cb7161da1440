import { templateScope, type Delivery, type Template, type TemplateTree } from '../../src/sdk/index.ts';
import { topicNameProblem } from './topic-name.ts';

/** The compiled templates of one connector instance. */
export interface RecordTemplates {
  readonly topic: Template;
  readonly key: Template;
  readonly value?: TemplateTree | undefined;
  readonly headers: Readonly<Record<string, Template>>;
}

/** What is produced for one delivery (also what `wa-router route` shows). */
export interface RecordPlan {
  readonly topic: string;
  /** null when the key template renders empty. */
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** A delivery that cannot become a record; fails that delivery only. */
export class RenderError extends Error {
  override readonly name = 'RenderError';
}

/** Render one delivery into a record. Pure; throws RenderError with the reason. */
export function renderRecord(templates: RecordTemplates, delivery: Delivery): RecordPlan {
  const scope = templateScope(delivery);
  const render = (what: string, fn: () => string): string => {
    try {
      return fn();
    } catch (error) {
      throw new RenderError(`cannot render the ${what}: ${(error as Error).message}`);
    }
  };
  const topic = render('topic', () => templates.topic.renderString(scope).trim());
  const problem = topicNameProblem(topic);
  if (problem) throw new RenderError(`invalid topic: ${problem}`);
  const key = render('key', () => templates.key.renderString(scope));
  let contentType = 'application/json';
  const value = render('value', () => {
    const rendered = templates.value ? templates.value.render(scope) : delivery.event;
    if (typeof rendered === 'string') {
      contentType = 'text/plain; charset=utf-8';
      return rendered;
    }
    return JSON.stringify(rendered ?? null);
  });
  const headers: Record<string, string> = {
    'wa-event': delivery.event.event,
    'wa-event-id': delivery.event.id,
    'wa-idempotency-key': delivery.idempotencyKey,
    'content-type': contentType,
  };
  for (const [name, template] of Object.entries(templates.headers)) {
    const rendered = render(`header ${name}`, () => template.renderString(scope));
    if (rendered === '') delete headers[name];
    else
      Object.defineProperty(headers, name, { value: rendered, enumerable: true, writable: true, configurable: true });
  }
  return { topic, key: key === '' ? null : key, value, headers };
}

/** Bytes a record takes on the wire, near enough to compare with max.message.bytes (batch overhead included). */
export function recordSize(record: RecordPlan): number {
  return measure(record, Buffer.byteLength);
}

/**
 * The record's size when it is over `limit`, else undefined. A UTF-8 string takes at most 3 bytes
 * per UTF-16 unit, so most records are known to fit from their lengths alone, without encoding
 * each value just to count its bytes.
 */
export function recordSizeOver(record: RecordPlan, limit: number): number | undefined {
  if (measure(record, (text) => text.length * 3) <= limit) return undefined;
  const size = recordSize(record);
  return size > limit ? size : undefined;
}

function measure(record: RecordPlan, bytes: (text: string) => number): number {
  let size = 61 + 21 + bytes(record.value) + (record.key === null ? 0 : bytes(record.key));
  for (const name in record.headers) size += 10 + bytes(name) + bytes(record.headers[name]!);
  return size;
}
