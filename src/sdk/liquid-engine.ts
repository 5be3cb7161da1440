import { Liquid, Tag } from 'liquidjs';

/**
 * Liquid templates over the normalized event: `{{ contact.name }}`, `{{ event | replace: ":", "." }}`.
 * The engine reads own properties only, knows no file system (no include/render of files) and has
 * render and memory limits, so a template cannot reach the process, the environment or files.
 */
export function createEngine(outputEscape?: (value: unknown) => string): Liquid {
  const engine = new Liquid({
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    templates: {},
    renderLimit: 1_000,
    memoryLimit: 16 * 1024 * 1024,
    parseLimit: 100_000,
    ...(outputEscape ? { outputEscape } : {}),
  });
  // Templates come from config, but the tags that read other templates from files have no place here.
  for (const name of ['include', 'render', 'layout']) {
    engine.registerTag(
      name,
      class ForbiddenTag extends Tag {
        constructor(...args: ConstructorParameters<typeof Tag>) {
          super(...args);
          throw new Error(`the "${name}" tag is not available in wa-router templates`);
        }
        *render(): Generator<never, void, unknown> {}
      },
    );
  }
  return engine;
}

export const plainEngine = createEngine();
/** For URLs: every value written by `{{ }}` is percent-encoded, so event data cannot change the path or host. */
export const urlEngine = createEngine((value) =>
  encodeURIComponent(value === undefined || value === null ? '' : String(value)),
);
