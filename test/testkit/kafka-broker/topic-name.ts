/**
 * Topic name rules of Apache Kafka (org.apache.kafka.common.internals.Topic):
 * 1–249 characters from [a-zA-Z0-9._-], and not "." or "..". 249 leaves room
 * for the partition suffix in the on-disk directory name within 255 bytes.
 */
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Returns why `name` is not a legal topic name, or null when it is. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL.test(name)) return `topic name "${name}" has characters outside [a-zA-Z0-9._-]`;
  return null;
}

export function isValidTopicName(name: string): boolean {
  return topicNameProblem(name) === null;
}
