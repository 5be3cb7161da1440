import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Replace each secret in a string (longest first, so a secret containing another is fully hidden). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * The root logger: JSON lines (pino). Two layers keep secrets out of logs: known secret-bearing
 * fields are redacted by path, and every written line is scrubbed of the config's secret values
 * (webhook secret, every `${VAR}` value), whatever field they ended up in.
 */
export function createLogger(options: {
  level: string;
  secrets?: () => readonly string[];
  destination?: DestinationStream;
}): Logger {
  const secrets = options.secrets ?? (() => []);
  // Sorted once per list (the list changes only on a reload), not once per line written.
  let seen: readonly string[] | undefined;
  let longestFirst: readonly string[] = [];
  const sortedSecrets = (): readonly string[] => {
    const current = secrets();
    if (current !== seen) {
      seen = current;
      longestFirst = [...current].sort((a, b) => b.length - a.length);
    }
    return longestFirst;
  };
  return pino(
    {
      level: options.level,
      base: { service: 'wa-router' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: readable as it is, and what log tools match on.
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'secret',
          'token',
          '*.secret',
          '*.token',
          'headers.authorization',
          'headers["x-webhook-secret"]',
          'req.headers.authorization',
          'req.headers["x-webhook-secret"]',
        ],
        censor: '[redacted]',
      },
      hooks: {
        streamWrite(line: string): string {
          const current = sortedSecrets();
          return current.length === 0 ? line : scrub(line, current);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
