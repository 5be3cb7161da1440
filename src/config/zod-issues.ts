import type { z } from 'zod';
import { didYouMean } from '../util/suggest.ts';

/** A zod issue reduced to what the config loader reports: a path, an optional key, a message. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  /** Set for an unknown key, so the position points at the key itself. */
  readonly key?: string;
  readonly message: string;
}

/** Turn zod issues into readable messages, with did-you-mean hints for unknown keys. */
export function schemaIssues(schema: z.ZodType, error: z.ZodError): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      for (const key of issue.keys) {
        out.push({
          path: issue.path,
          key,
          message: `unknown field "${key}"${didYouMean(key, known)}${known.length ? `; expected one of: ${known.join(', ')}` : ''}`,
        });
      }
    } else if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
      out.push({ path: issue.path, message: `missing required field (expected ${issue.expected})` });
    } else if (issue.code === 'invalid_union') {
      out.push({
        path: issue.path,
        message: issue.message === 'Invalid input' ? 'value does not match any accepted form' : issue.message,
      });
    } else if ((issue.code === 'too_small' || issue.code === 'too_big') && isDefaultMessage(issue.message)) {
      out.push({ path: issue.path, message: boundMessage(issue) });
    } else {
      out.push({ path: issue.path, message: tidy(issue.message) });
    }
  }
  return out;
}

/** zod's own wording ("Too small: expected number to be >=1"); a schema's custom message is kept. */
function isDefaultMessage(message: string): boolean {
  return /^Too (small|big): /.test(message);
}

/** A bound in words: "must be at least 1", "must be at most 65535", "must have at least 1 item". */
function boundMessage(issue: z.core.$ZodIssue): string {
  const { code, origin, minimum, maximum, inclusive } = issue as unknown as {
    code: 'too_small' | 'too_big';
    origin?: string;
    minimum?: number | bigint;
    maximum?: number | bigint;
    inclusive?: boolean;
  };
  const small = code === 'too_small';
  const bound = Number(small ? minimum : maximum);
  const word = inclusive === false ? (small ? 'more than' : 'less than') : small ? 'at least' : 'at most';
  const unit =
    origin === 'string'
      ? ` character${bound === 1 ? '' : 's'}`
      : origin === 'array' || origin === 'set'
        ? ` item${bound === 1 ? '' : 's'}`
        : '';
  return origin === 'string' || origin === 'array' || origin === 'set'
    ? `must have ${word} ${bound}${unit}`
    : `must be ${word} ${bound}`;
}

function tidy(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
}

interface Def {
  type?: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(schema: unknown): Def {
  return ((schema as { _zod?: { def?: Def } })._zod?.def ?? {}) as Def;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 20; depth++) {
    const def = defOf(current);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return current;
    current = next;
  }
  return current;
}

/** The field names of the object schema at `path`, for did-you-mean hints. */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let candidates: (z.ZodType | undefined)[] = [unwrap(schema)];
  for (const segment of path) {
    const next: (z.ZodType | undefined)[] = [];
    for (const candidate of candidates) {
      const def = defOf(candidate);
      if (def.type === 'union') {
        for (const option of def.options ?? []) next.push(...step(unwrap(option), segment));
      } else {
        next.push(...step(candidate, segment));
      }
    }
    candidates = next.map(unwrap);
  }
  const keys = new Set<string>();
  for (const candidate of candidates) {
    const def = defOf(candidate);
    const options = def.type === 'union' ? (def.options ?? []).map(unwrap) : [candidate];
    for (const option of options) for (const key of Object.keys(defOf(option).shape ?? {})) keys.add(key);
  }
  return [...keys];
}

function step(schema: z.ZodType | undefined, segment: PropertyKey): (z.ZodType | undefined)[] {
  const def = defOf(schema);
  if (def.type === 'object') return [def.shape?.[String(segment)]];
  if (def.type === 'array') return [def.element];
  if (def.type === 'record') return [def.valueType];
  return [];
}
