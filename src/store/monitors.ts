import type { KeyValue } from '../core/store-port.ts';
import type { Incident } from '../core/incident.ts';
import type { MonitorState } from '../core/monitor.ts';
import type { Beat } from '../core/heartbeat.ts';
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
  /** The heartbeat monitor a push token belongs to. */
  pushKey(token: string): Promise<string | undefined>;
  recordBeat(key: string, beat: Beat): Promise<void>;
  lastBeat(key: string): Promise<Beat | undefined>;
}

const MAX_INCIDENTS_PER_MONITOR = 200;

// The list of all monitors is split by key prefix, so adding one rewrites a list of ~1/256th
// of them: adding a watch stays fast at tens of thousands of monitors.
const BUCKETS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const bucketOf = (key: string) => `monitors:${key.slice(0, 2)}`;
/** The watches one person set, per platform and tenant: "<monitor key>|<channel id>". */
const ownerOf = (channel: ChannelRef, user: string) => `owner:${channel.platform}:${channel.tenant}:${user}`;
const ownedItem = (key: string, channel: ChannelRef) => `${key}|${channelId(channel)}`;

/**
 * A set of items that start with a monitor key (hex), kept as 256 small lists by their first two
 * digits, with the set's size beside them. Adding or removing one rewrites a list of ~1/256th of
 * the set and the size, so a channel's 50,000th watch costs what its first did; one list of them
 * all used to be rewritten whole (450 KB at 20,000). A list an earlier version wrote under the
 * set's own name is spread into the parts the first time the set changes.
 */
interface ShardedSet {
  add(item: string): Promise<void>;
  remove(item: string): Promise<void>;
  items(): Promise<string[]>;
  size(): Promise<number>;
}

function shardedSets(kv: KeyValue, mutex: Locks): (name: string) => ShardedSet {
  const listOf = async (k: string) => (await kv.get<string[]>(k)) ?? [];
  return (name) => {
    const part = (item: string) => `${name}#${item.slice(0, 2)}`;
    const sizeKey = `${name}#size`;
    const readSize = async () => (await kv.get<number>(sizeKey)) ?? (await listOf(name)).length;

    /** Under the set's lock: moves an earlier version's single list into the parts. */
    async function migrate(): Promise<void> {
      const legacy = await kv.get<string[]>(name);
      if (!legacy) return;
      const parts = new Map<string, string[]>();
      for (const item of legacy) parts.set(part(item), [...(parts.get(part(item)) ?? []), item]);
      for (const [k, items] of parts) {
        const have = await listOf(k);
        await kv.set(k, [...have, ...items.filter((i) => !have.includes(i))]);
      }
      await kv.set(sizeKey, legacy.length);
      await kv.delete(name);
    }

    async function change(item: string, add: boolean): Promise<void> {
      await mutex.run(name, async () => {
        await migrate();
        const k = part(item);
        const list = await listOf(k);
        if (list.includes(item) === add) return;
        const next = add ? [...list, item] : list.filter((x) => x !== item);
        if (next.length) await kv.set(k, next);
        else await kv.delete(k);
        // Written after the part: a failure between the two leaves the size one off until the
        // next full read (items) puts it right; only the limits read it.
        await kv.set(sizeKey, Math.max(0, (await readSize()) + (add ? 1 : -1)));
      });
    }

    return {
      add: (item) => change(item, true),
      remove: (item) => change(item, false),
      async items() {
        const read = async () => {
          const [legacy, stored, ...parts] = await Promise.all([
            kv.get<string[]>(name),
            kv.get<number>(sizeKey),
            ...BUCKETS.map((b) => kv.get<string[]>(`${name}#${b}`)),
          ]);
          return { legacy, stored, all: [...new Set([...(legacy ?? []), ...parts.flatMap((p) => p ?? [])])] };
        };
        const first = await read();
        if (first.legacy || first.stored === undefined || first.stored === first.all.length) return first.all;
        // The size drifted: put it right under the set's lock, from a read no change can race.
        return mutex.run(name, async () => {
          const again = await read();
          if (!again.legacy && again.stored !== again.all.length) await kv.set(sizeKey, again.all.length);
          return again.all;
        });
      },
      size: readSize,
    };
  };
}

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
  const sets = shardedSets(kv, mutex);
  const channelSet = (channel: ChannelRef) => sets(`channel:${channelId(channel)}`);
  const ownerSet = (channel: ChannelRef, user: string) => sets(ownerOf(channel, user));

  /**
   * A monitor no channel watches any more: its state goes (watching it again starts afresh, not
   * from an outage long over), and an open incident is closed quietly, so history keeps it for
   * the retention period like any other.
   */
  async function retire(key: string, record: MonitorRecord): Promise<void> {
    await kv.delete(`state:${key}`);
    if (record.pushToken) {
      // A retired heartbeat's URL answers 404 from now on; a later watch gets a new one.
      await kv.delete(`push:${record.pushToken}`);
      await kv.delete(`beat:${key}`);
    }
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
        // A heartbeat keeps its URL for as long as the monitor lives: jobs already call it.
        const token = existing?.pushToken ?? spec.pushToken;
        const record: MonitorRecord = { ...spec, ...(token ? { pushToken: token } : {}), watches: [...others, watch] };
        if (token && !existing) await kv.set(`push:${token}`, spec.key);
        await kv.set(`monitor:${spec.key}`, record);
        await channelSet(watch.channel).add(spec.key);
        if (previous && previous.createdBy !== watch.createdBy) await ownerSet(watch.channel, previous.createdBy).remove(ownedItem(spec.key, watch.channel));
        await ownerSet(watch.channel, watch.createdBy).add(ownedItem(spec.key, watch.channel));
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
        await channelSet(channel).remove(key);
        await ownerSet(channel, gone.createdBy).remove(ownedItem(key, channel));
        if (watches.length === 0) {
          await kv.delete(`monitor:${key}`);
          await removeFrom(bucketOf(key), key);
          await retire(key, existing);
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
      const keys = await channelSet(channel).items();
      const records = await Promise.all(keys.map((k) => kv.get<MonitorRecord>(`monitor:${k}`)));
      return records.filter((r): r is MonitorRecord => r !== undefined);
    },
    async counts(channel, user) {
      const [inChannel, person] = await Promise.all([channelSet(channel).size(), ownerSet(channel, user).size()]);
      return { channel: inChannel, person };
    },
    getState: (key) => kv.get<MonitorState>(`state:${key}`),
    pushKey: (token) => kv.get<string>(`push:${token}`),
    async recordBeat(key, beat) {
      await kv.set(`beat:${key}`, beat);
    },
    lastBeat: (key) => kv.get<Beat>(`beat:${key}`),
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
