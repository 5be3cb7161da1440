import type { ConnectorState, RoutedEvent } from '../../src/sdk/index.ts';

/**
 * `threadBy: chat`: the Slack thread of each WhatsApp chat, per channel, kept in the connector's
 * durable state (the router's store), so it survives restarts: `thread:<channel>:<device>:<chat>`
 * → the `ts` of the thread's first message.
 *
 * The definition's `orderBy: 'chat'` already keeps two deliveries of one chat from running at
 * once. `starting` guards the same thing inside this process for a config that turns ordering
 * off: a second message of a chat whose thread is being started is retried shortly, not posted
 * as a second thread root.
 */
export class ThreadMap {
  private readonly starting = new Set<string>();

  constructor(private readonly state: ConnectorState) {}

  /** The state key of an event's thread in a channel; undefined when the event has no chat. */
  keyOf(channel: string, event: RoutedEvent): string | undefined {
    if (!event.chat?.id) return undefined;
    return `thread:${channel}:${event.device.id}:${event.chat.id}`;
  }

  get(key: string): Promise<string | undefined> {
    return this.state.get(key);
  }

  set(key: string, ts: string): Promise<void> {
    return this.state.set(key, ts);
  }

  /** Claim the right to start the thread of `key`; false when another delivery is starting it. */
  claimStart(key: string): boolean {
    if (this.starting.has(key)) return false;
    this.starting.add(key);
    return true;
  }

  releaseStart(key: string): void {
    this.starting.delete(key);
  }
}
