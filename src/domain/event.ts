/**
 * The normalized event: what routes match (`when`) and templates read (`{{ … }}`).
 * One webhook item becomes one RoutedEvent; the original `data` is kept untouched.
 * These field names are a public contract (DESIGN.md): add fields, never rename them.
 */
export interface RoutedEvent {
  /** Stable idempotency key: a redelivered webhook gets the same id. */
  readonly id: string;
  /** Wassenger event name, e.g. "message:in:new"; unknown names are kept as they are. */
  readonly event: string;
  /** ISO time the router received the webhook. */
  readonly receivedAt: string;
  readonly device: EventDevice;
  readonly chat?: EventChat | undefined;
  readonly contact?: EventContact | undefined;
  readonly message?: EventMessage | undefined;
  /** The original `data` object of the webhook item, untouched. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface EventDevice {
  readonly id: string;
  readonly phone?: string | undefined;
  readonly alias?: string | undefined;
}

export type ChatType = 'user' | 'group' | 'channel';

export interface EventChat {
  readonly id: string;
  readonly type: ChatType;
  readonly name?: string | undefined;
  readonly labels: readonly string[];
}

export interface EventContact {
  readonly wid?: string | undefined;
  readonly phone?: string | undefined;
  readonly name?: string | undefined;
  /** Wassenger's `[{key, value}]` list turned into a map. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface EventMessage {
  readonly id: string;
  readonly type: string;
  readonly body?: string | undefined;
  readonly fromMe: boolean;
  readonly ack?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Group chats: the member who wrote the message. */
  readonly author?: string | undefined;
  readonly quoted?: EventQuoted | undefined;
  readonly media?: EventMedia | undefined;
  /** Wassenger's send-time `reference`, when present (used for echo-loop prevention). */
  readonly reference?: string | undefined;
}

export interface EventQuoted {
  readonly id?: string | undefined;
  readonly type?: string | undefined;
  readonly body?: string | undefined;
}

export interface EventMedia {
  readonly id?: string | undefined;
  readonly type?: string | undefined;
  readonly mime?: string | undefined;
  readonly size?: number | undefined;
  readonly filename?: string | undefined;
  readonly caption?: string | undefined;
  readonly expiresAt?: string | undefined;
  /** Relative Wassenger API path; downloading it needs the API token, which is never put in here. */
  readonly download?: string | undefined;
  /**
   * With `media:` configured: a signed link to the file as stored by the router, set at delivery
   * time once the file is downloaded (it expires after `media.linkTtl`).
   */
  readonly url?: string | undefined;
  /** With `media:` configured: why the file could not be had (`expired`, `too_large`, `unavailable`); no `url` then. */
  readonly error?: 'expired' | 'too_large' | 'unavailable' | undefined;
}

/** Names of the router's own events (docs/alerts.md): a prefix no Wassenger event uses. */
export function isRouterEventName(name: unknown): boolean {
  return typeof name === 'string' && name.startsWith('router:');
}
