import type { ChannelStorms } from '../core/storm.ts';
import type { KeyValue } from '../core/store-port.ts';
import { channelId, type ChannelRef } from '../core/watch.ts';

/** Each channel's storm (grouped alert) and its recent single alerts, for the notifier. */
export interface StormRepository {
  get(channel: ChannelRef): Promise<ChannelStorms>;
  save(channel: ChannelRef, state: ChannelStorms): Promise<void>;
}

export function createStormRepository(kv: KeyValue, ttlMs: number): StormRepository {
  const key = (c: ChannelRef) => `storm:${channelId(c)}`;
  return {
    get: async (c) => (await kv.get<ChannelStorms>(key(c))) ?? { recent: [] },
    // Kept as long as alert references: a member's later events find the storm's thread.
    save: (c, s) => kv.set(key(c), s, ttlMs),
  };
}
