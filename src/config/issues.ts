/** One problem found in a config file, with where it is. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted path inside the document, e.g. `connectors.support.channel` or `routes[1].when`. */
  readonly path: string;
  readonly message: string;
}

/** A config that cannot be used; carries every issue found, not only the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(formatIssues(issues));
  }
}

/** `file:line:col path: message`, one issue per line. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) => `${issue.file}:${issue.line}:${issue.col} ${issue.path ? `${issue.path}: ` : ''}${issue.message}`)
    .join('\n');
}

/** `connectors.a.b`, `routes[0].to[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
