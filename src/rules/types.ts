/** The `when` filter of a route as written in the YAML config: its TypeScript shape. */

/** A value as written in the YAML config: what literals and operator arguments can hold. */
export type WhenValue = string | number | boolean | null | readonly WhenValue[] | { readonly [key: string]: WhenValue };

/** Operators that test the value at one path; several in one mapping are ANDed. */
export interface WhenOperators {
  readonly $eq?: WhenValue;
  readonly $ne?: WhenValue;
  readonly $in?: readonly WhenValue[];
  readonly $nin?: readonly WhenValue[];
  readonly $exists?: boolean;
  /** A JavaScript pattern; a leading inline flag group such as `(?i)` or `(?is)` sets its flags. */
  readonly $regex?: string;
  readonly $gt?: number | string;
  readonly $gte?: number | string;
  readonly $lt?: number | string;
  readonly $lte?: number | string;
  /** Substring of a string, or element of a list. */
  readonly $contains?: WhenValue;
  readonly $startsWith?: string;
  readonly $not?: WhenOperators;
}

/** What a path maps to: a literal, an operator mapping, or a mapping of sub-paths. */
export type WhenCondition = WhenValue | WhenOperators;

/** A `when` filter document: dotted paths to conditions, plus `$and`, `$or` and `$not`. */
export interface WhenDocument {
  readonly $and?: readonly WhenDocument[];
  readonly $or?: readonly WhenDocument[];
  readonly $not?: WhenDocument;
  readonly [path: string]: WhenCondition | readonly WhenDocument[] | WhenDocument | undefined;
}
