import type { KeyValue } from '../core/store-port.ts';
import type { Message } from '../core/messages.ts';
import type { PlatformRef } from '../core/notify.ts';
import { channelId, type ChannelRef } from '../core/watch.ts';
import { localLocks, type Locks } from './locks.ts';

/**
 * Alerts waiting to be delivered. An entry is written before anything is sent and removed only
 * after the platform accepted it; its id is the idempotency key (incident, event, channel), so
 * enqueueing the same event twice is harmless and a restart resumes where it stopped.
 */
export interface OutboxEntry {
  readonly id: string;
  readonly channel: ChannelRef;
  readonly incidentId: string;
  /** The incident's root message as of this event (posted first time, edited after). */
  readonly root: Message;
  /** The change, as a reply in the root's thread; absent for the event that opened it. */
  readonly reply?: Message;
  readonly broadcast: boolean;
  readonly createdAt: number;
  readonly attempts: number;
  readonly nextAt: number;
  /** Steps already accepted by the platform, so a retry never repeats them. */
  readonly done: { readonly root?: boolean; readonly reply?: boolean };
  readonly lastError?: string;
}

export interface OutboxRepository {
  /** Stores the entries not already pending or sent; returns those. */
  enqueue(entries: readonly OutboxEntry[]): Promise<OutboxEntry[]>;
  save(entry: OutboxEntry): Promise<void>;
  /** Removes a delivered entry and remembers it was sent, so a replayed event is not sent again. */
  delivered(id: string): Promise<void>;
  /** Removes an entry that can never be delivered. */
  remove(id: string): Promise<void>;
  pending(): Promise<OutboxEntry[]>;
  /**
   * Runs a delivery under a lock on the entry, shared by every process on this store, with the
   * entry as stored now: 'sent' when another process delivered it, undefined when it is gone.
   */
  claim<T>(id: string, fn: (current: OutboxEntry | 'sent' | undefined) => Promise<T>): Promise<T>;
  getRef(incidentId: string, channel: ChannelRef): Promise<PlatformRef | undefined>;
  setRef(incidentId: string, channel: ChannelRef, ref: PlatformRef, ttlMs: number): Promise<void>;
}

/** How long a delivered id is remembered: far longer than any restart takes. */
const SENT_MEMORY_MS = 7 * 86_400_000;

export function createOutboxRepository(kv: KeyValue, mutex: Locks = localLocks()): OutboxRepository {
  const index = async () => (await kv.get<string[]>('outbox')) ?? [];
  return {
    enqueue(entries) {
      return mutex.run('outbox', async () => {
        const ids = await index();
        const sent = await Promise.all(entries.map((e) => kv.has(`sent:${e.id}`)));
        const fresh = entries.filter((e, i) => !ids.includes(e.id) && !sent[i]);
        // Entries first, then the index that makes them visible: a crash in between leaves
        // orphans to be overwritten, never an index pointing at nothing.
        await Promise.all(fresh.map((e) => kv.set(`outbox:${e.id}`, e)));
        if (fresh.length) await kv.set('outbox', [...ids, ...fresh.map((e) => e.id)]);
        return fresh;
      });
    },
    async save(entry) {
      await kv.set(`outbox:${entry.id}`, entry);
    },
    async delivered(id) {
      await kv.set(`sent:${id}`, 1, SENT_MEMORY_MS);
      await this.remove(id);
    },
    remove(id) {
      return mutex.run('outbox', async () => {
        const ids = await index();
        await kv.set('outbox', ids.filter((x) => x !== id));
        await kv.delete(`outbox:${id}`);
      });
    },
    claim(id, fn) {
      return mutex.run(`deliver:${id}`, async () => {
        if (await kv.has(`sent:${id}`)) return fn('sent');
        return fn(await kv.get<OutboxEntry>(`outbox:${id}`));
      });
    },
    async pending() {
      const ids = await index();
      const entries = await Promise.all(ids.map((id) => kv.get<OutboxEntry>(`outbox:${id}`)));
      return entries.filter((e): e is OutboxEntry => e !== undefined);
    },
    getRef: (incidentId, channel) => kv.get<PlatformRef>(`ref:${incidentId}:${channelId(channel)}`),
    async setRef(incidentId, channel, ref, ttlMs) {
      await kv.set(`ref:${incidentId}:${channelId(channel)}`, ref, ttlMs);
    },
  };
}
