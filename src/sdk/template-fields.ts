import { EVENT, type FieldKind } from '../domain/event-fields.ts';
import { didYouMean } from '../util/suggest.ts';
import { plainEngine } from './liquid-engine.ts';

/**
 * Load-time check of the event fields a template reads. Liquid renders a field that does not exist
 * as an empty string, so `{{ mesage.body }}` would send empty text for ever: the config helpers
 * (`template()`, `urlTemplate()`, `templateTree()`) report it as a config error instead, naming
 * the field meant.
 */

/** What templates see: the event's fields, plus what templateScope adds. */
const SCOPE: FieldKind = {
  fields: {
    ...(EVENT as { fields: Record<string, FieldKind> }).fields,
    route: 'text',
    params: 'open',
    idempotencyKey: 'text',
  },
};

/** Properties Liquid gives every string and list. */
const LIQUID_PROPERTIES: ReadonlySet<string> = new Set(['size', 'first', 'last', 'length']);

type Segment = string | number | readonly Segment[];

/**
 * The problems with the fields a template reads, one sentence each (empty when every field read
 * exists). Variables the template sets itself (`assign`, `capture`, `for`) are not fields and are
 * not checked; neither are keys computed at render time (`data[message.id]`) nor anything below
 * `data`, `params`, `message.quoted`, `message.media` or `contact.metadata`, which hold any key.
 * Liquid's parser throws on a source that does not compile: call it on one that does.
 */
export function unknownFieldsOf(source: string): string[] {
  if (!source.includes('{{') && !source.includes('{%')) return [];
  const problems = new Set<string>();
  for (const path of plainEngine.globalVariableSegmentsSync(plainEngine.parse(source))) {
    const problem = problemOf(path as readonly Segment[]);
    if (problem) problems.add(problem);
  }
  return [...problems];
}

function problemOf(path: readonly Segment[]): string | undefined {
  let kind: FieldKind = SCOPE;
  const walked: string[] = [];
  for (const segment of path) {
    // An index (`labels[0]`) or a key computed at render time: nothing to check by name.
    if (typeof segment !== 'string' || kind === 'open') return undefined;
    if (kind === 'metadata') return undefined;
    if (typeof kind === 'object' && 'fields' in kind) {
      const next: FieldKind | undefined = kind.fields[segment];
      if (next === undefined) return noSuchField(walked, segment, Object.keys(kind.fields));
      kind = next;
      walked.push(segment);
      continue;
    }
    if (LIQUID_PROPERTIES.has(segment)) return undefined;
    const what = kind === 'labels' ? 'a list of labels' : 'a single value';
    return `"${walked.join('.')}" is ${what} with no field "${segment}" (only ${[...LIQUID_PROPERTIES].join(', ')})`;
  }
  return undefined;
}

function noSuchField(walked: readonly string[], name: string, known: readonly string[]): string {
  const where = walked.length === 0 ? 'the event' : `"${walked.join('.')}"`;
  return `${where} has no field "${name}"${didYouMean(name, known)}; its fields: ${known.join(', ')}`;
}
