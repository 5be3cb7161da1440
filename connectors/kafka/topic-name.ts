/** Kafka's own rule (org.apache.kafka.common.internals.Topic.validate): [a-zA-Z0-9._-], 1 to 249 characters, not "." or "..". */
const LEGAL_CHARS = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_LENGTH = 249;

/** Why a topic name is not legal in Kafka, or undefined when it is. */
export function topicNameProblem(name: string): string | undefined {
  if (name === '') return 'the topic name is empty';
  if (name === '.' || name === '..') return `"${name}" is not a legal topic name`;
  if (name.length > MAX_TOPIC_LENGTH)
    return `the topic name is ${name.length} characters long; at most ${MAX_TOPIC_LENGTH} are allowed`;
  if (!LEGAL_CHARS.test(name)) {
    const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
    return `"${shown}" is not a legal topic name: only letters, digits, ".", "_" and "-" are allowed`;
  }
  return undefined;
}

/** True when a template source has no Liquid markup, so its value is known when the config is loaded. */
export function isLiteral(source: string): boolean {
  return !source.includes('{{') && !source.includes('{%');
}
