import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly col: number;
}

/**
 * Where a path points in a YAML document: the node itself or, when the path names something
 * missing, the key of its nearest existing ancestor (`server:` for a missing `server.secret`, not
 * the first field below it). With `key`, the position of that key inside the map at `path` (for
 * "unknown field" issues, so the caret lands on the typo).
 */
export function positionOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[], key?: string): Position {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  let owner: Node | undefined;
  for (const segment of path) {
    const child = childOf(node, segment);
    if (child === undefined) {
      if (owner) best = owner;
      break;
    }
    node = child.value;
    owner = child.key;
    if (isNode(child.value)) best = child.value;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (pair && isNode(pair.key)) best = pair.key;
  }
  const offset = best?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, col };
}

/** Position of a source offset. */
export function positionAt(lines: LineCounter, offset: number): Position {
  const { line, col } = lines.linePos(offset);
  return { line, col };
}

/** The value at `segment`, and the key that names it (undefined for list items). */
function childOf(node: unknown, segment: PropertyKey): { value: unknown; key: Node | undefined } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    if (pair?.value === undefined || pair.value === null) return undefined;
    return { value: pair.value, key: isNode(pair.key) ? pair.key : undefined };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item, key: isNode(item) ? item : undefined };
  }
  return undefined;
}
