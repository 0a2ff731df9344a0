import type { KeyValue } from '../core/store-port.ts';
import type { Incident } from '../core/incident.ts';
import type { MonitorState } from '../core/monitor.ts';
import { channelId, sameChannel, type ChannelRef, type MonitorRecord, type MonitorSpec, type Watch } from '../core/watch.ts';
import { localLocks, type Locks } from './locks.ts';

/**
 * Monitors with their watching channels, their state and their incidents. Only changes are
 * written: a monitor that stays up costs no writes, whatever its interval.
 */
export interface MonitorRepository {
  all(): Promise<MonitorRecord[]>;
  get(key: string): Promise<MonitorRecord | undefined>;
  /** Adds or replaces this channel's watch; creates the monitor when it is the first. */
  watch(spec: MonitorSpec, watch: Watch): Promise<{ record: MonitorRecord; created: boolean; replaced: boolean }>;
  /** Removes this channel's watch; the monitor goes when no channel is left. */
  unwatch(key: string, channel: ChannelRef): Promise<{ record?: MonitorRecord; removed: boolean }>;
  /** Changes one channel's watch (pause, mute); returns the updated record. */
  updateWatch(key: string, channel: ChannelRef, change: (w: Watch) => Watch): Promise<MonitorRecord | undefined>;
  forChannel(channel: ChannelRef): Promise<MonitorRecord[]>;
  /** How many watches a channel holds, and how many one person set in that platform and tenant (limits). */
  counts(channel: ChannelRef, user: string): Promise<{ channel: number; person: number }>;
  getState(key: string): Promise<MonitorState | undefined>;
  saveState(key: string, state: MonitorState): Promise<void>;
  getIncident(id: string): Promise<Incident | undefined>;
  saveIncident(incident: Incident): Promise<void>;
  incidentsOf(key: string): Promise<Incident[]>;
}

const MAX_INCIDENTS_PER_MONITOR = 200;

// The list of all monitors is split by key prefix, so adding one rewrites a list of ~1/256th
// of them: adding a watch stays fast at tens of thousands of monitors.
const BUCKETS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const bucketOf = (key: string) => `monitors:${key.slice(0, 2)}`;
/** The watches one person set, per platform and tenant: "<monitor key>|<channel id>". */
const ownerOf = (channel: ChannelRef, user: string) => `owner:${channel.platform}:${channel.tenant}:${user}`;
const ownedItem = (key: string, channel: ChannelRef) => `${key}|${channelId(channel)}`;

export function createMonitorRepository(kv: KeyValue, opts: { retentionMs: number; now?: () => number; lock?: Locks }): MonitorRepository {
  const now = opts.now ?? Date.now;
  const mutex = opts.lock ?? localLocks();
  const listOf = async (k: string) => (await kv.get<string[]>(k)) ?? [];
  const addTo = (k: string, item: string) =>
    mutex.run(k, async () => {
      const list = await listOf(k);
      if (!list.includes(item)) await kv.set(k, [...list, item]);
    });
  const removeFrom = (k: string, item: string) =>
    mutex.run(k, async () => {
      const list = await listOf(k);
      if (list.includes(item)) {
        const rest = list.filter((x) => x !== item);
        if (rest.length) await kv.set(k, rest);
        else await kv.delete(k);
      }
    });

  /**
   * A monitor no channel watches any more: its state goes (watching it again starts afresh, not
   * from an outage long over), and an open incident is closed quietly, so history keeps it for
   * the retention period like any other.
   */
  async function retire(key: string): Promise<void> {
    await kv.delete(`state:${key}`);
    const at = now();
    for (const id of await listOf(`incidents:${key}`)) {
      const incident = await kv.get<Incident>(`incident:${id}`);
      if (incident && incident.closedAt === undefined) await kv.set(`incident:${id}`, { ...incident, closedAt: at, unwatchedAt: at }, opts.retentionMs);
    }
  }

  const repo: MonitorRepository = {
    async all() {
      const buckets = await Promise.all(BUCKETS.map((b) => listOf(`monitors:${b}`)));
      const keys = buckets.flat();
      const records = await Promise.all(keys.map((k) => kv.get<MonitorRecord>(`monitor:${k}`)));
      return records.filter((r): r is MonitorRecord => r !== undefined);
    },
    get: (key) => kv.get<MonitorRecord>(`monitor:${key}`),
    watch(spec, watch) {
      return mutex.run(`monitor:${spec.key}`, async () => {
        const existing = await kv.get<MonitorRecord>(`monitor:${spec.key}`);
        const others = (existing?.watches ?? []).filter((w) => !sameChannel(w.channel, watch.channel));
        const previous = existing?.watches.find((w) => sameChannel(w.channel, watch.channel));
        const replaced = previous !== undefined;
        const record: MonitorRecord = { ...spec, watches: [...others, watch] };
        await kv.set(`monitor:${spec.key}`, record);
        await addTo(`channel:${channelId(watch.channel)}`, spec.key);
        if (previous && previous.createdBy !== watch.createdBy) await removeFrom(ownerOf(watch.channel, previous.createdBy), ownedItem(spec.key, watch.channel));
        await addTo(ownerOf(watch.channel, watch.createdBy), ownedItem(spec.key, watch.channel));
        if (!existing) await addTo(bucketOf(spec.key), spec.key);
        return { record, created: !existing, replaced };
      });
    },
    unwatch(key, channel) {
      return mutex.run(`monitor:${key}`, async () => {
        const existing = await kv.get<MonitorRecord>(`monitor:${key}`);
        if (!existing || !existing.watches.some((w) => sameChannel(w.channel, channel))) return { removed: false };
        const watches = existing.watches.filter((w) => !sameChannel(w.channel, channel));
        const gone = existing.watches.find((w) => sameChannel(w.channel, channel))!;
        await removeFrom(`channel:${channelId(channel)}`, key);
        await removeFrom(ownerOf(channel, gone.createdBy), ownedItem(key, channel));
        if (watches.length === 0) {
          await kv.delete(`monitor:${key}`);
          await removeFrom(bucketOf(key), key);
          await retire(key);
          return { removed: true };
        }
        const record = { ...existing, watches };
        await kv.set(`monitor:${key}`, record);
        return { record, removed: true };
      });
    },
    updateWatch(key, channel, change) {
      return mutex.run(`monitor:${key}`, async () => {
        const existing = await kv.get<MonitorRecord>(`monitor:${key}`);
        if (!existing) return undefined;
        const record = { ...existing, watches: existing.watches.map((w) => (sameChannel(w.channel, channel) ? change(w) : w)) };
        await kv.set(`monitor:${key}`, record);
        return record;
      });
    },
    async forChannel(channel) {
      const keys = await listOf(`channel:${channelId(channel)}`);
      const records = await Promise.all(keys.map((k) => kv.get<MonitorRecord>(`monitor:${k}`)));
      return records.filter((r): r is MonitorRecord => r !== undefined);
    },
    async counts(channel, user) {
      const [inChannel, owned] = await Promise.all([listOf(`channel:${channelId(channel)}`), listOf(ownerOf(channel, user))]);
      return { channel: inChannel.length, person: owned.length };
    },
    getState: (key) => kv.get<MonitorState>(`state:${key}`),
    async saveState(key, state) {
      await kv.set(`state:${key}`, state);
    },
    getIncident: (id) => kv.get<Incident>(`incident:${id}`),
    async saveIncident(incident) {
      // Closed incidents expire with the retention setting; open ones stay until they close.
      const ttl = incident.closedAt !== undefined ? Math.max(1, incident.closedAt + opts.retentionMs - now()) : undefined;
      await kv.set(`incident:${incident.id}`, incident, ttl);
      await mutex.run(`incidents:${incident.monitorKey}`, async () => {
        const ids = await listOf(`incidents:${incident.monitorKey}`);
        if (!ids.includes(incident.id)) await kv.set(`incidents:${incident.monitorKey}`, [...ids, incident.id].slice(-MAX_INCIDENTS_PER_MONITOR));
      });
    },
    async incidentsOf(key) {
      const ids = await listOf(`incidents:${key}`);
      const found = await Promise.all(ids.map((id) => kv.get<Incident>(`incident:${id}`)));
      return found.filter((i): i is Incident => i !== undefined);
    },
  };
  return repo;
}
