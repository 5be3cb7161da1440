import { failed, parseRetryAfter, retry, withExchange, type Outcome } from '../../src/sdk/index.ts';
import { describeFailure, type SlackCallError, type SlackFailure } from './client.ts';

/**
 * What a failed Slack call means for the delivery: wait and retry (rate limits, Slack's own
 * trouble, the network) or give up with Slack's error code and what to do about it.
 */

/** Slack errors that go away on their own. */
const TRANSIENT = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'service_unavailable',
  'request_timeout',
  'fatal_error',
  'team_added_to_org',
]);

/** What the operator can do about a permanent Slack error. */
const HINTS: Readonly<Record<string, string>> = {
  invalid_auth:
    'the bot token is not valid: check `token` (a bot token starts with xoxb-) and that the app is installed in the workspace',
  not_authed: 'no token was sent: check `token`',
  token_revoked: 'the bot token was revoked: reinstall the app and update `token`',
  token_expired: 'the bot token expired: reinstall the app (or turn off token rotation) and update `token`',
  account_inactive: 'the bot user or workspace is deactivated: reinstall the app and update `token`',
  channel_not_found:
    'check `channel` (for a private channel use its id and invite the bot; names are resolved among public channels)',
  not_in_channel: 'invite the bot to the channel (/invite @your-app in Slack), or add the chat:write.public scope',
  is_archived: 'the channel is archived: unarchive it or pick another `channel`',
  missing_scope: 'add the missing scope (chat:write; channels:read for #names) to the app and reinstall it',
  no_permission: "the bot may not post there: check the app's scopes and the channel's posting permissions",
  restricted_action: "the workspace or channel does not let this bot post: check the channel's posting permissions",
  restricted_action_read_only_channel: 'the channel is read-only for the bot',
  restricted_action_thread_only_channel: 'the channel accepts thread replies only',
  msg_too_long: 'the rendered text is too long: shorten the `text` template',
  no_text: 'the message has no text: check the `text` template (and `blocks`)',
  invalid_blocks:
    'the rendered `blocks` are not valid Block Kit: check them in the Block Kit Builder (`wa-router route` shows what is sent)',
  invalid_blocks_format: 'the rendered `blocks` are not a list of block objects',
  invalid_arguments: 'Slack refused the arguments: check `wa-router route` output against chat.postMessage',
  too_many_attachments: 'too many attachments',
  ekm_access_denied: "the workspace's Enterprise Key Management denied access",
};

/** The hint for a Slack error code, if one is known. */
export function hintFor(error: string): string | undefined {
  return HINTS[error];
}

/** The outcome of a failed call, with the call's request and answer (`exchange`) attached. */
export function outcomeOfError(error: SlackCallError, what: string): Outcome {
  return withExchange(outcomeOfFailure(error.failure, what), error.exchange);
}

/** The outcome of a failed call. `what` names the call, e.g. "chat.postMessage". */
export function outcomeOfFailure(failure: SlackFailure, what: string): Outcome {
  // One line: reasons are logged, and an error text may carry what a server sent.
  const reason = `${what}: ${describeFailure(failure)}`.replace(/[\r\n]+/g, ' ');
  switch (failure.kind) {
    case 'rate_limited':
      return retry(`Slack ${reason}`, failure.retryAfterMs);
    case 'http':
      if (failure.status === 408 || failure.status === 425 || failure.status >= 500)
        return retry(`Slack ${reason}`, parseRetryAfter(failure.retryAfter));
      return failed(`Slack ${reason} (check \`apiUrl\`: Slack answers 200 or 429 only)`);
    case 'network':
    case 'aborted':
    case 'garbage':
    case 'other':
      return retry(`Slack ${reason}`);
    case 'platform': {
      if (TRANSIENT.has(failure.error)) return retry(`Slack ${reason}`);
      const hint = hintFor(failure.error) ?? 'see https://docs.slack.dev/reference/methods/chat.postMessage#errors';
      const needed = failure.needed ? ` (needed: ${failure.needed})` : '';
      return failed(`Slack ${reason}${needed}: ${hint}`);
    }
  }
}
