import { createHash, randomBytes } from 'node:crypto';
import { heartbeatVerdict, pushCheckEvery, type Beat } from '../core/heartbeat.ts';
import { runCheck, type CheckOutcome, type CheckPolicy, type CheckPorts } from '../core/check.ts';
import { applyEvent, clockFormat, type ClockFormat } from '../core/incident.ts';
import { actionTarget, certificateMessage, incidentChangeMessage, incidentRootMessage, vendorMaintenanceMessage, vendorUpdateMessage, type Message } from '../core/messages.ts';
import { nextCertState, type CertNotice } from '../core/certificate.ts';
import { mentions, statusVerdict } from '../core/verdict.ts';
import type { VendorChange } from '../core/vendor-history.ts';
import { advance, initialState, stateChanged, type AlertEvent, type MonitorState, type Thresholds } from '../core/monitor.ts';
import { channelId, intervalOf, monitorKey, pickOptions, sameChannel, type ChannelMonitor, type ChannelRef, type MonitorRecord, type MonitorSpec, type ServiceUptime, type WatchRequest } from '../core/watch.ts';
import type { WatchPort } from '../core/bot.ts';
import { isStoreFailure } from '../core/store-port.ts';
import type { MonitorRepository } from '../store/monitors.ts';
import type { RollupRepository } from '../store/rollups.ts';
import { dayOf, emptyRollup, hourOf, mergeRollups, sampleOf, tally, type CheckSample, type Rollup } from '../core/rollup.ts';
import { withPending, type DaySummary } from '../core/uptime.ts';
import type { OutboxEntry } from '../store/outbox.ts';
import type { Notifier } from './notifier.ts';

export interface WatcherOptions {
  readonly repo: MonitorRepository;
  readonly notifier: Notifier;
  readonly ports: CheckPorts;
  readonly policy: CheckPolicy;
  readonly thresholds: Thresholds;
  /** Checks running at once, in all. */
  readonly concurrency: number;
  /** Checks running at once against one host, so many monitors of one site don't hammer it. */
  readonly perHostConcurrency: number;
  readonly now?: () => number;
  readonly clock?: ClockFormat;
  readonly log?: (line: string) => void;
  /** Drive the schedule from a timer every second (production) or by calling tick() (tests, benchmarks). */
  readonly autoStart?: boolean;
  /** Warn this many days before an https target's certificate expires (ISDOWN_CERT_WARN_DAYS); default 14. */
  readonly certWarnDays?: number;
  /** Keep each monitor's checks since start for /metrics (ISDOWN_METRICS_PER_MONITOR). */
  readonly metricsPerMonitor?: boolean;
  /** Where each check's hourly rollup goes; absent: none kept (benchmarks of the check path alone). */
  readonly rollups?: RollupRepository;
}

/**
 * Launch slots hold about SLOT_CHECKS checks: 50 ms wide with many monitors, up to 1 s with few.
 * A process woken once a check pays each wake-up's fixed costs (timers, the event loop's turn,
 * caches gone cold) once a check: at 1,000 monitors @60 s, 50 ms slots of one check each cost
 * 1.65 ms of CPU a check and 1 s slots 1.08 ms (bench:scale). A slot's checks share the turn.
 */
const SLOT_MIN_MS = 50;
const SLOT_MAX_MS = 1_000;
const SLOT_CHECKS = 20;

/** The slot width for a schedule of `perSecond` checks a second, a multiple of the smallest. */
export function slotWidth(perSecond: number): number {
  if (!(perSecond > 0)) return SLOT_MAX_MS;
  const ms = Math.ceil((SLOT_CHECKS * 1_000) / perSecond / SLOT_MIN_MS) * SLOT_MIN_MS;
  return Math.min(SLOT_MAX_MS, Math.max(SLOT_MIN_MS, ms));
}

const earliest = (values: readonly (number | undefined)[]): number | undefined => {
  let min: number | undefined;
  for (const v of values) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
};

/** The monitors whose launch falls in one slot, with the moment each was due. */
interface LaunchSlot {
  readonly timer: NodeJS.Timeout;
  readonly due: Map<Scheduled, number>;
}

/** A monitor as the scheduler holds it in memory. */
interface Scheduled {
  record: MonitorRecord;
  interval: number;
  offset: number;
  /** The host its requests go to, whose monitors are spread evenly (spreadPhase); none if it asks no host. */
  host: string | undefined;
  nextDue: number;
  /** A quick re-check asked for by the state machine. */
  extraDue?: number;
  /** When its armed launch is due, and the launch slot it sits in. */
  timerDue?: number;
  slot?: number;
  running: boolean;
  state?: MonitorState;
  /**
   * Events the state machine produced that the store has not taken yet (it was failing). They
   * are written in order, before the state that follows them, as soon as the store answers.
   */
  unrecorded: (AlertEvent | CertNotice)[];
  /** The state in memory is newer than the stored one. */
  stateDirty: boolean;
  /** When its last round ended (this process's memory: a status page's "last checked"). */
  lastAt?: number;
  /** Every check since this process started (per-monitor metrics only). */
  sinceStart?: Rollup;
  /** This hour's checks, not yet written; since when it has gathered them. */
  roll?: { hour: number; since: number; r: Rollup };
  /** Finished (or due) hours whose write is owed: the store failed, or it is their turn. */
  rollOwed?: Map<number, Rollup>;
}

export interface SchedulerStats {
  readonly checks: number;
  readonly skippedOverlaps: number;
  /** How late each of the latest checks started against its due time, ms, oldest first. */
  readonly lagMs: readonly number[];
  readonly running: number;
  readonly monitors: number;
}

export interface Watcher extends WatchPort {
  /**
   * Loads every monitor from the store and starts scheduling. `catchUpMs`: a scheduler taking
   * over from one that died runs at once every monitor whose slot fell in that gap, so no round
   * is lost to the hand-over.
   */
  start(opts?: { catchUpMs?: number }): Promise<void>;
  stop(): Promise<void>;
  /** Plans the checks due within the next second (a timer calls it every second). */
  tick(): void;
  stats(): SchedulerStats;
  watch(req: WatchRequest): Promise<{ record: MonitorRecord; created: boolean; replaced: boolean }>;
  unwatch(channel: ChannelRef, targetId: string): Promise<number>;
  list(channel: ChannelRef): Promise<ChannelMonitor[]>;
  mute(channel: ChannelRef, targetId: string, until: number | undefined): Promise<number>;
  /** Pauses every watch of a channel the platform says is gone; returns who set them. */
  pauseChannel(channel: ChannelRef, reason: string): Promise<string[]>;
  /** Every monitor with its watches, from the store (the watches file, export). */
  records(): Promise<MonitorRecord[]>;
  /** Removes this channel's watch of one monitor (one set of options), leaving its other watches of the target. */
  unwatchMonitor(channel: ChannelRef, key: string): Promise<number>;
  /** Removes every watch of one channel (the channel was deleted). */
  removeChannel(channel: ChannelRef): Promise<number>;
  /** Removes every watch of a tenant (an uninstalled workspace, a guild the bot left). */
  removeTenant(platform: string, tenant: string): Promise<number>;
  /** Writes now what the store owes (tests; the scheduler does it every few seconds). */
  flushOwed(): Promise<void>;
  /** Runs one round for a monitor now (the Re-check button; tests). */
  checkNow(key: string): Promise<void>;
  /** Re-reads one monitor another process changed (distributed mode). */
  refresh(key: string): Promise<void>;
  /**
   * Brings the schedule in line with the store after another process wrote to it (an import run
   * beside a one-process bot): every monitor that is new, gone or different there is re-read.
   */
  reconcile(): Promise<{ added: number; removed: number; changed: number }>;
  /** One monitor's rollups (stored and not yet written) and incidents since `fromMs`. */
  overview(record: MonitorRecord, fromMs: number): Promise<ServiceUptime>;
  /** Each scheduled monitor with its state and, with per-monitor metrics on, its checks since start. */
  perMonitor(): Iterable<{ record: MonitorRecord; state?: MonitorState; checks?: Rollup }>;
  /** When this process last finished a round of the monitor. */
  lastChecked(key: string): number | undefined;
  /** Records a heartbeat sent to /push/<token>; false when no heartbeat has that token. */
  heartbeat(token: string, beat: Beat): Promise<boolean>;
  heartbeatKnown(token: string): Promise<boolean>;
  /**
   * What a vendor's page just said that a state does not carry: each incident update goes into
   * the thread of the open alert of every vendor watch of the service, and a maintenance
   * announced ahead is told once. Only the scheduling process hears of it.
   */
  vendorNews(serviceId: string, changes: readonly VendorChange[]): Promise<void>;
}

const LAG_RESERVOIR = 50_000;
/** Unwritten events kept per monitor while the store fails; the first (the opening) is always kept. */
const MAX_UNRECORDED = 100;
const FLUSH_EVERY_MS = 5_000;
/**
 * A monitor's checks are added up in memory and written at most this often (and when its hour
 * ends, and at shutdown): one write per ten minutes whatever the interval, so a check costs a
 * few bytes of disk, not a synced write. A crash loses at most this much of the counts, never
 * an incident: those are written at once.
 */
const ROLLUP_WRITE_EVERY_MS = 10 * 60_000;
/** Hours kept owed while the store fails (two days), oldest dropped first. */
const MAX_OWED_HOURS = 48;

export function stableOffset(key: string, interval: number): number {
  const h = createHash('sha1').update(key).digest().readUInt32BE(0);
  return h % interval;
}

/**
 * The phase of the `index`-th monitor placed in a group (one host, one interval): the group's own
 * starting phase, then the van der Corput sequence (0, 1/2, 1/4, 3/4, 1/8, …) of the interval, so
 * each new monitor lands in the middle of the group's largest gap and none placed before moves.
 * A host's checks then come evenly spaced rather than in hash-random clumps: gentler on the host,
 * and each finds the connection the one before left open. With monitors scattered at random over
 * 20 hosts at 1,000 @60 s, a third of checks opened a connection (a clump needs several at once,
 * and a lull outlasts the keep-alive); spaced, one in twenty-five did, and CPU per check fell by a third.
 */
export function spreadPhase(group: string, index: number, interval: number): number {
  let fraction = 0;
  let weight = 0.5;
  for (let n = index; n > 0; n >>>= 1, weight /= 2) if (n & 1) fraction += weight;
  return (stableOffset(group, interval) + Math.floor(fraction * interval)) % interval;
}

export function nextAligned(after: number, interval: number, offset: number): number {
  const k = Math.floor((after - offset) / interval) + 1;
  return k * interval + offset;
}

/** When its first watch still standing was made: the order a restart places monitors in. */
function madeAt(record: MonitorRecord): number {
  let first = Infinity;
  for (const w of record.watches) if (w.createdAt < first) first = w.createdAt;
  return first;
}

/** How often a monitor's round runs: its interval, or for a heartbeat how often its deadline is looked at. */
function roundEvery(record: MonitorRecord): number | undefined {
  const interval = intervalOf(record);
  return interval !== undefined && record.target.kind === 'push' ? pushCheckEvery(interval) : interval;
}

/** The host a monitor's requests go to; none for a heartbeat or a status-page-only watch, which ask no host. */
function hostOf(record: MonitorRecord): string | undefined {
  if (record.target.kind === 'push' || record.only === 'statuspage') return undefined;
  try {
    return new URL(record.target.urls[0]!).host;
  } catch {
    return record.key;
  }
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

export function createWatcher(opts: WatcherOptions): Watcher {
  const now = opts.now ?? Date.now;
  const clock = opts.clock ?? clockFormat();
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const monitors = new Map<string, Scheduled>();
  const global = new Semaphore(opts.concurrency);
  const perHost = new Map<string, Semaphore>();
  const inFlight = new Set<Promise<void>>();
  const lag: number[] = [];
  let lagNext = 0;
  let checks = 0;
  let skippedOverlaps = 0;
  let tickTimer: NodeJS.Timeout | undefined;
  /** Slots by the time they fire (epoch ms; 0 is "the next turn"). */
  const slots = new Map<number, LaunchSlot>();
  /** Checks a second the schedule asks for: the sum of 1/interval over the monitors. */
  let perSecond = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Until start(), this process only records watches: in distributed mode a standby keeps its
  // hands off the schedule, which belongs to the elected process.
  let started = false;
  // A round checks what the watch names: the other faces of a service are for one-shot answers.
  const roundPolicy: CheckPolicy = { ...opts.policy, confirmAttempts: 1, faces: false };
  const factThresholds: Thresholds = { ...opts.thresholds, failRounds: 1, recoverRounds: 1 };

  /**
   * Per host and interval: the next monitor's index in spreadPhase, and how many are placed. A
   * group is forgotten when its last monitor goes, so hosts watched once do not pile up.
   */
  const groups = new Map<string, { next: number; live: number }>();

  const groupOf = (host: string, interval: number) => `${host} ${interval}`;

  /** The phase of a monitor placed now: its host's next even place, or its key's own if it asks no host. */
  function join(host: string | undefined, key: string, interval: number): number {
    if (host === undefined) return stableOffset(key, interval);
    const group = groupOf(host, interval);
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { next: 0, live: 0 }));
    g.live++;
    return spreadPhase(group, g.next++, interval);
  }

  function leave(m: Scheduled): void {
    if (m.host === undefined) return;
    const group = groupOf(m.host, m.interval);
    const g = groups.get(group);
    if (g && --g.live <= 0) groups.delete(group);
  }

  function place(record: MonitorRecord, state?: MonitorState): void {
    const interval = roundEvery(record);
    const existing = monitors.get(record.key);
    if (interval === undefined) {
      if (existing) {
        disarm(existing);
        leave(existing);
        perSecond -= 1_000 / existing.interval;
      }
      monitors.delete(record.key);
      return;
    }
    if (existing) {
      existing.record = record;
      if (existing.interval !== interval) {
        perSecond += 1_000 / interval - 1_000 / existing.interval;
        leave(existing);
        existing.interval = interval;
        existing.offset = join(existing.host, record.key, interval);
        existing.nextDue = nextAligned(now(), interval, existing.offset);
      }
      return;
    }
    const host = hostOf(record);
    const offset = join(host, record.key, interval);
    perSecond += 1_000 / interval;
    monitors.set(record.key, { record, host, interval, offset, nextDue: nextAligned(now(), interval, offset), running: false, unrecorded: [], stateDirty: false, ...(state ? { state } : {}) });
  }

  /**
   * Launches are grouped in slots (slotWidth), one timer a slot rather than one a monitor: the
   * checks of a slot start in one turn of the event loop and their I/O is handled together,
   * where a timer each woke the process once a check (at 10,000 monitors, 166 times a second).
   * A launch is then up to one slot late, at most the second a schedule may slip; a monitor's
   * launches keep their phase, so the time between its checks stays its interval.
   */
  function arm(m: Scheduled, due: number): void {
    if (m.timerDue !== undefined && m.timerDue <= due) return;
    disarm(m);
    m.timerDue = due;
    const k = (m.slot = slotOf(due));
    let slot = slots.get(k);
    if (!slot) {
      const fresh: LaunchSlot = { due: new Map(), timer: setTimeout(() => fire(k, fresh), Math.max(0, k - now())) };
      slots.set(k, fresh);
      slot = fresh;
    }
    slot.due.set(m, due);
  }

  /** Due now or overdue: the next turn; otherwise the end of its slot. */
  function slotOf(due: number): number {
    if (due <= now()) return 0;
    const width = slotWidth(perSecond);
    return Math.ceil(due / width) * width;
  }

  function disarm(m: Scheduled): void {
    const slot = m.slot === undefined ? undefined : slots.get(m.slot);
    if (slot?.due.delete(m) && slot.due.size === 0) {
      clearTimeout(slot.timer);
      slots.delete(m.slot!);
    }
    m.timerDue = undefined;
    m.slot = undefined;
  }

  function fire(k: number, slot: LaunchSlot): void {
    slots.delete(k);
    for (const [m, due] of slot.due) {
      m.timerDue = undefined;
      m.slot = undefined;
      launch(m, due);
    }
  }

  function disarmAll(): void {
    for (const slot of slots.values()) clearTimeout(slot.timer);
    slots.clear();
    for (const m of monitors.values()) {
      m.timerDue = undefined;
      m.slot = undefined;
    }
  }

  /**
   * tick() on every whole second of the real clock. node-cron did this before, at about 1.5 ms of
   * CPU a second more than a plain timer (it works the next run out from a cron expression, time
   * zone included, every second); a timer that re-aims at the next second does the same job and,
   * like the cron task, never overlaps itself.
   */
  function everySecond(): void {
    tick();
    if (!stopped) tickTimer = setTimeout(everySecond, 1_000 - (Date.now() % 1_000));
  }

  function tick(): void {
    if (stopped || !started) return;
    const horizon = now() + 1_000;
    for (const m of monitors.values()) {
      const due = Math.min(m.nextDue, m.extraDue ?? Infinity);
      if (due <= horizon) arm(m, due);
    }
  }

  /**
   * A new monitor gets its first look now rather than up to a whole interval later. Only its own
   * timer is armed: a tick walks every monitor, which made each add cost O(monitors).
   */
  function lookNow(key: string): void {
    const m = monitors.get(key);
    if (!m || stopped || !started) return;
    m.extraDue = now();
    arm(m, m.extraDue);
  }

  function launch(m: Scheduled, due: number): void {
    if (stopped || !monitors.has(m.record.key)) return;
    if (m.extraDue !== undefined && m.extraDue <= due) m.extraDue = undefined;
    if (m.nextDue <= due) m.nextDue = nextAligned(Math.max(due, now()), m.interval, m.offset);
    if (m.running) {
      skippedOverlaps++;
      return;
    }
    m.running = true;
    const p = (async () => {
      try {
        const started_ = () => {
          // A ring of the latest starts: health and benchmarks read the recent past, not all time.
          lag[lagNext] = now() - due;
          lagNext = (lagNext + 1) % LAG_RESERVOIR;
          checks++;
        };
        // A heartbeat asks nothing of any host: it reads its last beat from the store; a vendor
        // watch reads the status page the background reader keeps (or reads it, once per TTL).
        const outcome =
          m.record.target.kind === 'push'
            ? (started_(), await heartbeatOutcome(m.record))
            : m.record.only === 'statuspage'
              ? (started_(), await vendorOutcome(m.record))
              : await withSlots(m.host ?? m.record.key, () => {
                started_();
                return probe(m.record);
              });
        // The slots are for the request: the store writes that follow hold neither.
        await settle(m, outcome);
      } catch (err) {
        // A failing store is reported once, by the store itself, and in /healthz; not once per monitor and round.
        if (!isStoreFailure(err)) log(`isdown: check of ${m.record.target.name} failed inside isdown: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        m.running = false;
      }
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function withSlots<T>(host: string, fn: () => Promise<T>): Promise<T> {
    let hostSem = perHost.get(host);
    if (!hostSem) perHost.set(host, (hostSem = new Semaphore(opts.perHostConcurrency)));
    // The host's slot first: a host that never answers then holds only its own few slots, and
    // checks of every other host keep the global ones (the other order let one slow host take
    // them all while its checks queued for the host).
    await hostSem.acquire();
    await global.acquire();
    try {
      return await fn();
    } finally {
      global.release();
      hostSem.release();
    }
  }

  async function heartbeatOutcome(record: MonitorRecord): Promise<CheckOutcome> {
    const beat = await opts.repo.lastBeat(record.key);
    const active = record.watches.filter((w) => !w.pausedReason);
    const since = Math.min(...active.map((w) => w.createdAt));
    return { target: record.target, verdict: heartbeatVerdict(record.target.name, beat, intervalOf(record)!, since, now(), clock), probes: [] };
  }

  async function vendorOutcome(record: MonitorRecord): Promise<CheckOutcome> {
    const status = await opts.ports.status?.(record.target);
    return { target: record.target, verdict: statusVerdict(record.target.name, status, record.component), probes: [], ...(status ? { status } : {}) };
  }

  function probe(record: MonitorRecord): Promise<CheckOutcome> {
    if (record.only === 'statuspage') return vendorOutcome(record);
    return runCheck(
      record.target,
      pickOptions(record),
      opts.ports,
      roundPolicy,
    );
  }

  /** What a check's outcome does to its monitor: state, events, and the writes they owe. */
  async function settle(m: Scheduled, outcome: CheckOutcome): Promise<void> {
    const { record } = m;
    const at = now();
    const prev = m.state ?? (await opts.repo.getState(record.key)) ?? initialState(at);
    // A beat, or its absence past the deadline, is a fact: no second round to confirm it. So is
    // what a vendor's own page says.
    const thresholds = record.target.kind === 'push' || record.only === 'statuspage' ? factThresholds : opts.thresholds;
    const t = advance(prev, outcome.verdict, at, thresholds, (openedAt) => `${record.key.slice(0, 12)}-${openedAt.toString(36)}`);
    for (const e of t.events) {
      if (e.type === 'recheck') m.extraDue = at + e.inMs;
      else m.unrecorded.push(e);
    }
    const seenCert = earliest(outcome.probes.map((p) => p.certExpiresAt));
    const cert = nextCertState(t.state.cert, seenCert, at, opts.certWarnDays ?? 14);
    if (cert.notice) m.unrecorded.push(cert.notice);
    const next: MonitorState = cert.state === t.state.cert ? t.state : { ...t.state, ...(cert.state ? { cert: cert.state } : {}) };
    if (m.unrecorded.length > MAX_UNRECORDED) {
      log(`isdown: the store has been failing for long: ${m.unrecorded.length - MAX_UNRECORDED} older event(s) of ${record.target.name} kept only in its timeline's state`);
      m.unrecorded.splice(1, m.unrecorded.length - MAX_UNRECORDED);
    }
    m.state = next;
    m.lastAt = at;
    if (stateChanged(prev, next)) m.stateDirty = true;
    if (opts.rollups || opts.metricsPerMonitor) {
      const sample = sampleOf(outcome.verdict.state, outcome.probes);
      if (opts.rollups) gather(m, sample, at);
      if (opts.metricsPerMonitor) tally((m.sinceStart ??= emptyRollup()), sample);
    }
    await flush(m);
    // A refused rollup write stays owed and is tried at the next round; the store's health says
    // the store fails. It is not this round's failure: the round's state and alerts are written.
    if (opts.rollups && m.rollOwed?.size) await writeRollups(m).catch((err: unknown) => {
      if (!isStoreFailure(err)) throw err;
    });
  }

  /** Adds the check to its hour; a finished hour, or one gathered long enough, is owed to the store. */
  function gather(m: Scheduled, sample: CheckSample, at: number): void {
    const hour = hourOf(at);
    if (m.roll && (m.roll.hour !== hour || at - m.roll.since >= ROLLUP_WRITE_EVERY_MS)) owe(m);
    m.roll ??= { hour, since: at, r: emptyRollup() };
    tally(m.roll.r, sample);
  }

  function owe(m: Scheduled): void {
    if (!m.roll) return;
    const owed = (m.rollOwed ??= new Map());
    const have = owed.get(m.roll.hour);
    // A new value, never the one being written: writeRollups drops an hour only if it is unchanged.
    owed.set(m.roll.hour, have ? mergeRollups(have, m.roll.r) : m.roll.r);
    m.roll = undefined;
    while (owed.size > MAX_OWED_HOURS) owed.delete(Math.min(...owed.keys()));
  }

  /**
   * Writes the owed hours a day at a time (one store write each), dropping each day's hours once
   * written: a failure keeps only what was not written, so a retry never counts an hour twice.
   */
  async function writeRollups(m: Scheduled): Promise<void> {
    const owed = m.rollOwed;
    if (!owed?.size || !opts.rollups) return;
    const days = new Map<number, Map<number, Rollup>>();
    for (const [h, r] of owed) {
      if (!days.has(dayOf(h))) days.set(dayOf(h), new Map());
      days.get(dayOf(h))!.set(h, r);
    }
    for (const hours of days.values()) {
      await opts.rollups.add(m.record.key, hours);
      // Hours gathered while the write was in flight were added to the same map: only the
      // values just written go.
      for (const [h, r] of hours) if (owed.get(h) === r) owed.delete(h);
    }
    if (m.rollOwed === owed && owed.size === 0) m.rollOwed = undefined;
  }

  async function overview(record: MonitorRecord, fromMs: number): Promise<ServiceUptime> {
    const [stored, incidents] = await Promise.all([
      opts.rollups ? opts.rollups.days(record.key, dayOf(fromMs), dayOf(now())) : Promise.resolve(new Map<number, DaySummary>()),
      opts.repo.incidentsOf(record.key),
    ]);
    return { record, days: withPending(stored, pendingOf(record.key)), incidents: incidents.filter((i) => (i.closedAt ?? Infinity) >= fromMs) };
  }

  /** What this process gathered for a monitor and has not written yet. */
  function pendingOf(key: string): Map<number, Rollup> {
    const m = monitors.get(key);
    const out = new Map<number, Rollup>(m?.rollOwed ?? []);
    if (m?.roll) out.set(m.roll.hour, out.has(m.roll.hour) ? mergeRollups(out.get(m.roll.hour)!, m.roll.r) : m.roll.r);
    return out;
  }

  /**
   * Writes what the store has not taken yet: each event (incident, then outbox), then the state.
   * The state goes last: a crash before it replays the round, and the replay finds its event
   * already recorded and its alert already queued or sent. While the store fails, this throws
   * and keeps everything for the next try; the process dying meanwhile loses only memory, and
   * the stored state, older, makes the state machine announce the outage again, once.
   */
  async function flush(m: Scheduled): Promise<void> {
    // Unwatched while its round ran: the store has retired it; writing now would bring it back.
    if (monitors.get(m.record.key) !== m) {
      m.unrecorded = [];
      m.stateDirty = false;
      return;
    }
    while (m.unrecorded.length) {
      await record_(m, m.unrecorded[0]!);
      m.unrecorded.shift();
    }
    if (m.stateDirty && m.state) {
      await opts.repo.saveState(m.record.key, m.state);
      m.stateDirty = false;
    }
  }

  /** Monitors whose writes are owed: tried again every few seconds, between their rounds. */
  function flushOwed(): void {
    for (const m of monitors.values()) {
      if (m.running || (!m.unrecorded.length && !m.stateDirty)) continue;
      m.running = true;
      const p = flush(m)
        .catch(() => undefined)
        .finally(() => (m.running = false));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }

  async function record_(m: Scheduled, e: AlertEvent | CertNotice): Promise<void> {
    const record = m.record;
    if (e.type === 'certificate') {
      // Not an incident: one message per warning and channel, through the same outbox.
      const id = `cert-${record.key.slice(0, 12)}-${e.expiresAt.toString(36)}-${e.stage}`;
      await tell(record, e.at, { incidentId: id, step: 0, root: certificateMessage(record.target.name, actionTarget(record.target), id, e), createdAt: e.at });
      return;
    }
    const existing = await opts.repo.getIncident(e.incidentId);
    const replayed = existing?.timeline.some((x) => x.at === e.at && x.kind === e.type);
    const incident = replayed ? existing! : applyEvent(existing, e, { monitorKey: record.key, targetId: actionTarget(record.target), service: record.target.name });
    if (!replayed) await opts.repo.saveIncident(incident);
    if (e.silent) return;
    const seq = incident.timeline.findIndex((x) => x.at === e.at && x.kind === e.type);
    const at = now();
    const root = incidentRootMessage(incident, at, clock);
    const reply = e.type === 'opened' ? undefined : incidentChangeMessage(e, incident, at, clock);
    await tell(record, e.at, { incidentId: incident.id, step: seq, root, ...(reply ? { reply } : {}), broadcast: e.type === 'recovered', createdAt: at });
  }

  /**
   * One outbox entry per channel that hears the monitor at `heardAt` (its watch neither paused
   * nor muted then), with the id `<incident>:<step>:<channel>` that makes a replay the same entry.
   */
  async function tell(record: MonitorRecord, heardAt: number, say: { incidentId: string; step: number | string; root: Message; reply?: Message; broadcast?: boolean; createdAt: number }): Promise<void> {
    const entries = record.watches
      .filter((w) => !w.pausedReason && !(w.mutedUntil !== undefined && w.mutedUntil > heardAt))
      .map((w): OutboxEntry => ({
        id: `${say.incidentId}:${say.step}:${channelId(w.channel)}`,
        channel: w.channel,
        incidentId: say.incidentId,
        root: say.root,
        ...(say.reply ? { reply: say.reply } : {}),
        broadcast: say.broadcast ?? false,
        createdAt: say.createdAt,
        attempts: 0,
        nextAt: say.createdAt,
        done: {},
      }));
    if (entries.length) await opts.notifier.enqueue(entries);
  }

  /** Removes one channel's watch from each record; a monitor no channel watches leaves the schedule. */
  async function dropWatches(channel: ChannelRef, records: MonitorRecord[]): Promise<number> {
    for (const r of records) {
      const out = await opts.repo.unwatch(r.key, channel);
      place(out.record ?? { ...r, watches: [] });
    }
    return records.length;
  }

  async function refresh(key: string): Promise<void> {
    const record = await opts.repo.get(key);
    const known = monitors.get(key);
    if (!record) {
      if (known) place({ ...known.record, watches: [] });
      return;
    }
    place(record);
    if (!known) lookNow(key);
  }

  function channelRecords(channel: ChannelRef, targetId: string, all: MonitorRecord[]): MonitorRecord[] {
    return all.filter((r) => r.target.id === targetId && r.watches.some((w) => sameChannel(w.channel, channel)));
  }

  return {
    async start(startOpts) {
      // Everything from the store, nothing from memory: another process may have run these monitors.
      disarmAll();
      monitors.clear();
      groups.clear();
      perSecond = 0;
      // In the order they were made, as they were first placed, so a restart gives each monitor
      // the phase it had (a host's monitors removed since shift the later ones' once).
      const records = (await opts.repo.all()).sort((a, b) => madeAt(a) - madeAt(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const states = await Promise.all(records.map((r) => opts.repo.getState(r.key)));
      records.forEach((r, i) => place(r, states[i]));
      const catchUp = startOpts?.catchUpMs ?? 0;
      if (catchUp > 0) {
        const t = now();
        for (const m of monitors.values()) if (t - (m.nextDue - m.interval) <= catchUp) m.extraDue = t;
      }
      started = true;
      stopped = false;
      await opts.notifier.resume();
      if (opts.autoStart !== false) {
        flushTimer = setInterval(flushOwed, FLUSH_EVERY_MS);
        flushTimer.unref();
        everySecond();
      }
    },
    async stop() {
      stopped = true;
      started = false;
      clearTimeout(tickTimer);
      clearInterval(flushTimer);
      disarmAll();
      await Promise.allSettled([...inFlight]);
      // What was gathered goes to the store before the process ends, as far as the store lets it.
      if (opts.rollups) {
        for (const m of monitors.values()) owe(m);
        await Promise.allSettled([...monitors.values()].map((m) => writeRollups(m)));
      }
    },
    tick,
    async flushOwed() {
      flushOwed();
      await Promise.allSettled([...inFlight]);
    },
    refresh,
    async reconcile() {
      const stored = await opts.repo.all();
      const inStore = new Set<string>();
      const differ: string[] = [];
      for (const r of stored) {
        inStore.add(r.key);
        const known = monitors.get(r.key);
        if (!known || JSON.stringify(known.record) !== JSON.stringify(r)) differ.push(r.key);
      }
      for (const key of monitors.keys()) if (!inStore.has(key)) differ.push(key);
      const counts = { added: 0, removed: 0, changed: 0 };
      // Each is read again rather than taken from the list: a watch made here while the list was
      // read is newer than the list, and must not be undone by it.
      for (const key of differ) {
        const before = monitors.get(key)?.record;
        await refresh(key);
        const after = monitors.get(key)?.record;
        if (!before && after) counts.added++;
        else if (before && !after) counts.removed++;
        else if (before && after && JSON.stringify(before) !== JSON.stringify(after)) counts.changed++;
      }
      return counts;
    },
    async heartbeatKnown(token) {
      const key = await opts.repo.pushKey(token);
      return key !== undefined && (await opts.repo.get(key))?.pushToken === token;
    },
    async heartbeat(token, beat) {
      const key = await opts.repo.pushKey(token);
      // The mapping can outlive a record only across a crash mid-retirement; the record decides.
      if (!key || (await opts.repo.get(key))?.pushToken !== token) return false;
      await opts.repo.recordBeat(key, beat);
      // This process schedules it: look at once, so a beat ends an outage now. Otherwise the
      // scheduling process sees it at its next round (a quarter of the period, a minute at most).
      lookNow(key);
      return true;
    },
    stats: () => ({ checks, skippedOverlaps, lagMs: [...lag.slice(lagNext), ...lag.slice(0, lagNext)], running: inFlight.size, monitors: monitors.size }),
    async watch(req) {
      const spec: MonitorSpec = {
        key: monitorKey(req.target.id, req),
        target: req.target,
        ...pickOptions(req),
        // 144 random bits; kept for the monitor's life (the store keeps an existing one).
        ...(req.target.kind === 'push' ? { pushToken: randomBytes(18).toString('base64url') } : {}),
      };
      const result = await opts.repo.watch(spec, { channel: req.channel, everyMs: req.everyMs, createdBy: req.user, createdAt: now() });
      place(result.record);
      if (result.created) lookNow(spec.key);
      return result;
    },
    records: () => opts.repo.all(),
    async unwatchMonitor(channel, key) {
      const record = await opts.repo.get(key);
      return record && record.watches.some((w) => sameChannel(w.channel, channel)) ? dropWatches(channel, [record]) : 0;
    },
    async unwatch(channel, targetId) {
      return dropWatches(channel, channelRecords(channel, targetId, await opts.repo.forChannel(channel)));
    },
    counts: (channel, user) => opts.repo.counts(channel, user),
    async list(channel) {
      const records = await opts.repo.forChannel(channel);
      return Promise.all(
        records.map(async (record) => {
          const state = monitors.get(record.key)?.state ?? (await opts.repo.getState(record.key));
          const watch = record.watches.find((w) => sameChannel(w.channel, channel))!;
          return { record, watch, ...(state ? { state } : {}) };
        }),
      );
    },
    async uptime(channel, targetId, fromMs) {
      const mine = channelRecords(channel, targetId, await opts.repo.forChannel(channel));
      return Promise.all(mine.map((record) => overview(record, fromMs)));
    },
    overview,
    lastChecked: (key) => monitors.get(key)?.lastAt,
    *perMonitor() {
      for (const m of monitors.values()) yield { record: m.record, ...(m.state ? { state: m.state } : {}), ...(m.sinceStart ? { checks: m.sinceStart } : {}) };
    },
    async mute(channel, targetId, until) {
      const mine = channelRecords(channel, targetId, await opts.repo.forChannel(channel));
      for (const r of mine) {
        const updated = await opts.repo.updateWatch(r.key, channel, (w) => {
          const { mutedUntil: _m, ...rest } = w;
          return until === undefined ? rest : { ...rest, mutedUntil: until };
        });
        if (updated) place(updated);
      }
      return mine.length;
    },
    async pauseChannel(channel, reason) {
      const records = await opts.repo.forChannel(channel);
      const owners = new Set<string>();
      for (const r of records) {
        const w = r.watches.find((x) => sameChannel(x.channel, channel));
        if (!w || w.pausedReason) continue;
        owners.add(w.createdBy);
        const updated = await opts.repo.updateWatch(r.key, channel, (x) => ({ ...x, pausedReason: reason }));
        if (updated) place(updated);
      }
      return [...owners];
    },
    async removeChannel(channel) {
      return dropWatches(channel, await opts.repo.forChannel(channel));
    },
    async removeTenant(platform, tenant) {
      let removed = 0;
      for (const r of await opts.repo.all()) {
        for (const w of r.watches) {
          if (w.channel.platform !== platform || w.channel.tenant !== tenant) continue;
          const out = await opts.repo.unwatch(r.key, w.channel);
          place(out.record ?? { ...r, watches: [] });
          removed++;
        }
      }
      return removed;
    },
    async vendorNews(serviceId, changes) {
      const watchers = [...monitors.values()].filter((m) => m.record.only === 'statuspage' && m.record.target.id === serviceId);
      for (const m of watchers) {
        const record = m.record;
        const concerns = (components: readonly string[], name: string) => !record.component || mentions(record.component, [name, ...components]);
        for (const change of changes) {
          const at = now();
          if (change.type === 'updated' && concerns(change.incident.components, change.incident.name)) {
            // Into the open alert's thread; with no open alert (the page's update came before
            // the watch's round saw trouble) the round that opens it tells the page's words.
            const open = m.state?.incident?.open ? await opts.repo.getIncident(m.state.incident.id) : undefined;
            if (!open) continue;
            const tag = createHash('sha1').update(`${change.incident.key} ${change.update.at} ${change.update.body}`).digest('hex').slice(0, 12);
            await tell(record, at, { incidentId: open.id, step: `vu-${tag}`, root: incidentRootMessage(open, at, clock), reply: vendorUpdateMessage(record.target.name, change.incident, change.update, clock), createdAt: at });
          } else if (change.type === 'scheduled' && concerns(change.maintenance.components, change.maintenance.name)) {
            const id = `vm-${record.key.slice(0, 12)}-${createHash('sha1').update(change.maintenance.key).digest('hex').slice(0, 12)}`;
            await tell(record, at, { incidentId: id, step: 0, root: vendorMaintenanceMessage(record.target.name, change.maintenance, actionTarget(record.target), at, clock), createdAt: at });
          }
        }
      }
    },
    async checkNow(key) {
      const m = monitors.get(key);
      if (!m) throw new Error(`no monitor ${key}`);
      while (m.running) await new Promise((r) => setTimeout(r, 5));
      m.running = true;
      try {
        await settle(m, await probe(m.record));
      } finally {
        m.running = false;
      }
    },
  };
}
