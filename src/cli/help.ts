/** The CLI's general usage and each command's own help (`wa-router <command> --help`). */

export const USAGE = `wa-router: routes Wassenger WhatsApp webhooks to your tools.

Usage:
  wa-router serve                     run the router
  wa-router validate                  check the config, report every problem with file:line:col
  wa-router route <payload.json>      dry run: matching routes and what each connector would be sent
  wa-router dead-letters list         list failed deliveries [--connector NAME] [--limit N] [--json]
  wa-router dead-letters replay       retry dead letters: --id ID[,ID…] | --connector NAME | --all
  wa-router replay --since TIME       send again what failed since TIME (ISO date or a duration like 2h)
                                      [--until TIME] [--event NAME]
  wa-router init [FILE|DIR]           write a commented starter config (default config/wa-router.yaml)
                                      and its JSON Schema beside it; never overwrites
  wa-router schema                    print the config's JSON Schema (built-in connectors, plus the
                                      plugins of the config file when it exists)

Options:
  --config FILE   config file (default: $WA_ROUTER_CONFIG or config/wa-router.yaml)
  --help          this text, or a command's own: wa-router <command> --help
  --version       the version of wa-router
`;

const CONFIG = '  --config FILE     config file (default: $WA_ROUTER_CONFIG or config/wa-router.yaml)\n';

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  serve: `Usage: wa-router serve [--config FILE]

Run the router: receive webhooks, store them, route and deliver. SIGHUP or a change of the config
file reloads it (an invalid one is reported and the running config kept); SIGTERM stops gracefully.

Environment:
  PORT, WA_ROUTER_PORT   listen on this port instead of server.port (WA_ROUTER_PORT wins)
  LOG_LEVEL              instead of log.level
  WA_ROUTER_CONFIG       the config file

Options:
${CONFIG}`,
  validate: `Usage: wa-router validate [--config FILE]

Check the config file and its plugins; print every problem as FILE:LINE:COL PATH: MESSAGE.
Exit 0 when valid, 1 otherwise.

Options:
${CONFIG}`,
  route: `Usage: wa-router route <payload.json> [--config FILE]

Dry run: which routes match each event of the payload, and exactly what each connector would be
sent (bodies as formatted JSON, secrets redacted). Nothing is sent or stored.

Options:
${CONFIG}`,
  'dead-letters': `Usage: wa-router dead-letters list [--connector NAME] [--limit N] [--json] [--config FILE]
       wa-router dead-letters replay (--id ID[,ID…] | --connector NAME | --all) [--config FILE]

list     the dead letters, newest first, with column headers (--json: an array, ISO dates)
replay   set dead letters to be delivered again (same idempotency keys). An unknown connector or
         an id that is not a dead letter is a usage error (exit 2).

Options:
  --connector NAME  only this connector's
  --limit N         list at most N (default 100)
  --id ID[,ID…]     the ids \`list\` shows
  --all             every dead letter
  --json            list as JSON
${CONFIG}`,
  replay: `Usage: wa-router replay --since TIME [--until TIME] [--event NAME] [--connector NAME]
                        [--include-delivered] [--config FILE]

Send again the deliveries of events received in [since, until) that failed or are dead (same
idempotency keys); events that have no delivery run through the current routes again. Deliveries
that succeeded are left alone unless --include-delivered: then every event of the window is routed
again and sent to every connector its routes name, delivered ones included.

TIME is an ISO date or time (2026-11-25, 2026-11-25T10:00:00Z) or a duration back from now
(90m, 2h, 3d).

Options:
  --event NAME         only events of this type (e.g. message:in:new)
  --connector NAME     only this connector's deliveries
  --include-delivered  route the events again and send to every connector, delivered ones too
${CONFIG}`,
  init: `Usage: wa-router init [FILE|DIR]

Write a commented starter config (default config/wa-router.yaml) and its JSON Schema beside it.
Never overwrites an existing file.
`,
  schema: `Usage: wa-router schema [--config FILE]

Print the config's JSON Schema: the built-in connectors, plus the plugins of the config file when
it exists.

Options:
${CONFIG}`,
};
