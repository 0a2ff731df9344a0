import type { Message } from './messages.ts';
import type { ChannelRef } from './watch.ts';

/**
 * The port every chat adapter implements for alerts: post a root message, edit it in place,
 * reply in its thread. Adapters translate; they decide nothing.
 */
export interface PlatformRef {
  /** The platform's id for the message (Slack ts, Discord message id). */
  readonly id: string;
  /** The platform's channel id, when it differs from the watch's (DM channels, threads). */
  readonly channel: string;
}

export interface DeliveryKey {
  /** Stable for one step of one outbox entry, across retries and restarts. */
  readonly key: string;
  /**
   * An earlier attempt may have reached the platform without its answer being recorded (a
   * retry, or an entry a previous process left): look for the message before posting again.
   */
  readonly maybeSent?: boolean;
}

export interface ChatAdapter {
  readonly platform: string;
  /**
   * `key` is the delivery's idempotency key: adapters hand it to the platform's own
   * de-duplication where there is one (Discord's enforced nonce, Slack message metadata), so a
   * retry after a crash between "accepted" and "recorded" does not post twice.
   */
  post(to: ChannelRef, message: Message, opts: DeliveryKey): Promise<PlatformRef>;
  update(to: ChannelRef, ref: PlatformRef, message: Message): Promise<void>;
  reply(to: ChannelRef, parent: PlatformRef, message: Message, opts: DeliveryKey & { broadcast: boolean }): Promise<PlatformRef>;
  /** A direct message to one person (telling the owner their watch was paused). */
  direct?(tenant: string, user: string, message: Message): Promise<void>;
  /** A program reads this platform (outbound webhooks): each alert goes on its own, never grouped into a storm. */
  readonly ungrouped?: true;
}

/**
 * A delivery that failed. `retryAfterMs` is the platform's own word (429 Retry-After).
 * `gone` is only what the platform says of the channel: deleted, archived, the bot removed or
 * without access there; retrying is pointless and the watch is paused. `unavailable` is about
 * the whole platform here (its token refused, or no adapter for it in this process): nothing is
 * dropped, the alert waits and is delivered once the platform is back.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly opts: { readonly retryAfterMs?: number; readonly gone?: boolean; readonly unavailable?: boolean; readonly code?: string } = {},
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 5 * 60_000 };

/**
 * Exponential backoff with full jitter, unless the platform said when (Retry-After wins).
 * `random` is injected so tests can pin it.
 */
export function nextAttemptDelay(attempt: number, b: Backoff, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, b.maxMs * 4);
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(b.baseMs / 2, Math.round(random() * ceiling));
}
