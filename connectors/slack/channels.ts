import type { SlackApi } from './client.ts';

/** After this long, a name that was not found may be looked up again (the channel may be new). */
const RELIST_AFTER_MS = 60_000;
/** Stop paging after this many pages (200 channels each): a guard against a cursor that never ends. */
const MAX_PAGES = 100;

/**
 * Resolves `#name` to a channel id through conversations.list (public channels, paginated), once:
 * every name seen on the way is cached for the life of the connector, and concurrent look-ups
 * share one listing. Channel ids are stable, so a renamed channel keeps working until a restart.
 */
export class ChannelDirectory {
  private readonly ids = new Map<string, string>();
  private listing: Promise<void> | undefined;
  private readonly missedAt = new Map<string, number>();

  constructor(
    private readonly api: SlackApi,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The channel id for an id or `#name`; undefined when no public channel has that name.
   * Throws SlackCallError when conversations.list fails.
   */
  async resolve(channel: string, signal: AbortSignal): Promise<string | undefined> {
    if (!channel.startsWith('#')) return channel;
    const name = channel.slice(1).toLowerCase();
    const known = this.ids.get(name);
    if (known) return known;
    const missed = this.missedAt.get(name);
    if (missed !== undefined && this.now() - missed < RELIST_AFTER_MS) return undefined;
    this.listing ??= this.list(name, signal).finally(() => {
      this.listing = undefined;
    });
    await this.listing;
    const found = this.ids.get(name);
    if (!found) this.missedAt.set(name, this.now());
    else this.missedAt.delete(name);
    return found;
  }

  /** Page through conversations.list until `wanted` is found or the list ends, caching every name. */
  private async list(wanted: string, signal: AbortSignal): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.api.listChannels(cursor, signal);
      for (const channel of result.channels) this.ids.set(channel.name.toLowerCase(), channel.id);
      if (this.ids.has(wanted) || !result.cursor) return;
      cursor = result.cursor;
    }
  }
}
