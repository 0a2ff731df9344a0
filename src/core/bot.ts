import { runCheck, type CheckPolicy, type CheckPorts } from './check.ts';
import { everyOf, MUTE_LIMIT, parseCommand, USAGE, type Command } from './commands.ts';
import { decideChange } from './policy.ts';
import { parseHeader } from './conditions.ts';
import { graceOf, parsePushName, pushTarget } from './heartbeat.ts';
import { isStoreFailure } from './store-port.ts';
import { checkMessage, errorMessage, helpMessage, infoMessage, utcDate, type Message } from './messages.ts';
import { formatDuration, formatLatency } from './duration.ts';
import { clockFormat, tellStory, type ClockFormat } from './incident.ts';
import type { CrowdSummary, Resolution } from './types.ts';
import { describeOptions, optionsMisfit, pickOptions, type ChannelMonitor, type ChannelRef, type MonitorRecord, type ServiceUptime, type WatchRequest } from './watch.ts';
import { chartOf, formatUptime, uptimeReport, UPTIME_PERIODS } from './uptime.ts';
import { nowMessage, type KnownTrouble } from './now.ts';
import { incidentsSince, type VendorHistory, type VendorIncident } from './vendor-history.ts';
import type { Target } from './types.ts';

/** Who asked, in platform-neutral terms. A tenant is a Slack workspace or a Discord guild. */
export interface Requester {
  readonly platform: string;
  readonly tenant: string;
  readonly channel: string;
  readonly user: string;
  /** Asked only when a change is restricted: is this person an admin of the workspace or server? */
  readonly isAdmin?: () => Promise<boolean>;
}

/** Watching, as the bot needs it: implemented by the app's watcher over the store. */
export interface WatchPort {
  watch(req: WatchRequest): Promise<{ record: MonitorRecord; created: boolean; replaced: boolean }>;
  unwatch(channel: ChannelRef, targetId: string): Promise<number>;
  list(channel: ChannelRef): Promise<ChannelMonitor[]>;
  /** Rollups (with what is not yet written) and incidents since `fromMs`, for each of this channel's watches of the target: `uptime` and `history` both read it. */
  uptime(channel: ChannelRef, targetId: string, fromMs: number): Promise<ServiceUptime[]>;
  mute(channel: ChannelRef, targetId: string, until: number | undefined): Promise<number>;
  /** Watches this channel holds, and watches this person set in this platform and tenant. */
  counts(channel: ChannelRef, user: string): Promise<{ channel: number; person: number }>;
}

/** How many watches chat may add (ISDOWN_MAX_WATCHES_PER_CHANNEL / _PER_PERSON); the console is the operator's own. */
export interface WatchLimits {
  readonly perChannel: number;
  readonly perPerson: number;
}

/** A channel's public status page: its unguessable slug, made on first ask, and retired on "page off". */
export interface PagePort {
  slug(channel: ChannelRef): Promise<string>;
  retire(channel: ChannelRef): Promise<boolean>;
}

/** What the background reader of official status pages found (ISDOWN_STATUS_POLL). */
export interface VendorStatusPort {
  /** Whether pages are read in the background at all. */
  readonly polling: boolean;
  snapshot(): Promise<KnownTrouble | undefined>;
  history(serviceId: string): Promise<VendorHistory | undefined>;
}

/** Where "it is down for me" reports go; absent when no store is configured. */
export interface CrowdPort {
  add(serviceId: string, tenant: string, user: string, at: number): Promise<{ accepted: true } | { accepted: false; retryInMs: number }>;
  summary(serviceId: string, now: number): Promise<CrowdSummary>;
  /** When the latest report of any service was made, if known: lets a reader skip services when none is recent. */
  latest?(): Promise<number | undefined>;
}

export interface BotDeps {
  /** Turns what the user typed into a target, or says why not. */
  resolve(input: string): Resolution;
  readonly check: CheckPorts;
  readonly policy: CheckPolicy;
  readonly crowd?: CrowdPort;
  readonly watching?: WatchPort;
  readonly pages?: PagePort;
  readonly vendor?: VendorStatusPort;
  readonly now: () => number;
  readonly clock?: ClockFormat;
  readonly minIntervalMs?: number;
  /** Only admins, or whoever set a watch, may unwatch or mute it (ISDOWN_RESTRICT_CHANGES). */
  readonly restrictChanges?: boolean;
  readonly limits?: WatchLimits;
  /** ISDOWN_PUBLIC_URL, without a trailing slash: heartbeat URLs start with it. */
  readonly publicUrl?: string;
  /** Whether the operator set this environment variable (a watch's header names one). */
  readonly envSet?: (name: string) => boolean;
}

/** Platforms whose people are the operator: not limited. */
const OPERATOR_PLATFORMS = new Set(['console']);

export interface Bot {
  /** Handles the text after "/isdown". Never throws for anything a user can type. */
  handle(text: string, who: Requester): Promise<Message>;
  run(command: Command, who: Requester): Promise<Message>;
}

export function createBot(deps: BotDeps): Bot {
  async function check(input: string): Promise<Message> {
    const resolved = deps.resolve(input);
    if (!resolved.ok) return errorMessage(resolved.message);
    const outcome = await runCheck(resolved.target, {}, deps.check, deps.policy);
    return checkMessage(outcome);
  }

  async function report(input: string, who: Requester): Promise<Message> {
    const resolved = deps.resolve(input);
    if (!resolved.ok) return errorMessage(resolved.message);
    if (!deps.crowd) return errorMessage('Reports need a store, and this isdown runs without one.');
    const { target } = resolved;
    const at = deps.now();
    const added = await deps.crowd.add(target.id, who.tenant, who.user, at);
    const summary = await deps.crowd.summary(target.id, at);
    const tally = `${summary.reports} ${summary.reports === 1 ? 'report' : 'reports'} from ${summary.teams} ${summary.teams === 1 ? 'team' : 'teams'} in the last ${formatDuration(summary.windowMs)}.`;
    if (!added.accepted) {
      return infoMessage(`You already reported ${target.name}; you can report it again in ${formatDuration(added.retryInMs)}.`, [tally]);
    }
    return infoMessage(`Thanks — noted that ${target.name} is down for you.`, [tally, `Other teams asking about ${target.name} will see it. Check it yourself: /isdown ${target.id}`], 'channel');
  }

  const clock = deps.clock ?? clockFormat();

  /** A service or address, or a heartbeat of this channel by its name ("push:<name>" when a service has that name). */
  async function resolveHere(text: string, channel: ChannelRef, thisChannel: () => Promise<ChannelMonitor[]>): Promise<Resolution> {
    const explicit = /^push:/i.test(text);
    const resolved = explicit ? undefined : deps.resolve(text);
    if (resolved?.ok) return resolved;
    const named = parsePushName(explicit ? text.slice(5) : text);
    if (named.ok) {
      const id = pushTarget(channel, named.name).id;
      const found = (await thisChannel()).find((i) => i.record.target.id === id);
      if (found) return { ok: true, target: found.record.target };
      if (explicit) return { ok: false, message: `This channel has no heartbeat named ${named.name}; /isdown list shows its watches.` };
    }
    return resolved ?? { ok: false, message: `"${text.slice(0, 80)}" is not a heartbeat name.` };
  }
  const channelOf = (who: Requester): ChannelRef => ({ platform: who.platform, tenant: who.tenant, channel: who.channel });

  async function page(command: Extract<Command, { kind: 'page' }>, who: Requester): Promise<Message> {
    if (!deps.pages) return infoMessage('"page" needs the bot running with its store (npm start).', [USAGE.page]);
    const channel = channelOf(who);
    if (command.off) {
      const retired = await deps.pages.retire(channel);
      return retired
        ? infoMessage("This channel's status page is retired: its address now answers 404. /isdown page makes a new one, at a new address.")
        : infoMessage('This channel has no status page to retire.', [USAGE.page]);
    }
    const slug = await deps.pages.slug(channel);
    const base = deps.publicUrl ?? '';
    return infoMessage(`This channel's status page: ${base}/status/${slug}`, [
      "It shows this channel's watches: state, 90 days of daily bars, response times and open incidents. Anyone with the address can see it; nothing else is on it.",
      `Badges: ${base}/status/${slug}/badge/<service>.svg · data: ${base}/status/${slug}.json`,
      '/isdown page off retires it (the address stops working).',
      ...(deps.publicUrl ? [] : ['(Set ISDOWN_PUBLIC_URL so this is a full address.)']),
    ]);
  }

  async function watching(command: Extract<Command, { kind: 'watch' | 'unwatch' | 'list' | 'history' | 'uptime' | 'mute' | 'unmute' }>, who: Requester, port: WatchPort): Promise<Message> {
    const channel = channelOf(who);
    if (command.kind === 'list') {
      const items = await port.list(channel);
      if (items.length === 0) return infoMessage('This channel watches nothing yet.', [`Start with: ${USAGE.watch}`]);
      return infoMessage(
        `This channel watches ${items.length} ${items.length === 1 ? 'service' : 'services'}:`,
        items.map((i) => describeWatch(i, deps.now(), clock)),
      );
    }
    // The channel's watches, read once for the change rule, the limits and heartbeat names.
    let listed: Promise<ChannelMonitor[]> | undefined;
    const thisChannel = () => (listed ??= port.list(channel));
    const resolved = command.kind === 'watch' && command.push ? { ok: true as const, target: pushTarget(channel, command.target) } : await resolveHere(command.target, channel, thisChannel);
    if (!resolved.ok) return errorMessage(resolved.message);
    const { target } = resolved;
    if (command.kind !== 'history' && command.kind !== 'uptime' && deps.restrictChanges) {
      const owners = (await thisChannel()).filter((i) => i.record.target.id === target.id).map((i) => i.watch.createdBy);
      const decision = decideChange({ kind: command.kind, user: who.user, owners, restricted: true });
      if (!decision.allowed && !(await who.isAdmin?.().catch(() => false))) return errorMessage(`${decision.reason} ${target.name} here.`);
    }
    switch (command.kind) {
      case 'watch': {
        const everyMs = everyOf(command);
        const misfit = optionsMisfit(target, command);
        if (misfit) return errorMessage(misfit, USAGE.watch);
        const unset = (command.headers ?? []).map((h) => parseHeader(h)).find((h) => h.ok && deps.envSet && !deps.envSet(h.value.env));
        if (unset?.ok) return errorMessage(`The ${unset.value.name} header needs ${unset.value.env}, which is not set where isdown runs. Ask the operator to set it, then watch again.`);
        if (deps.limits && !OPERATOR_PLATFORMS.has(who.platform)) {
          const counts = await port.counts(channel, who.user);
          const atLimit = counts.channel >= deps.limits.perChannel || counts.person >= deps.limits.perPerson;
          // Changing a watch this channel already has adds nothing, so it is allowed at the limit.
          if (atLimit && !(await thisChannel()).some((i) => i.record.target.id === target.id)) {
            return counts.channel >= deps.limits.perChannel
              ? errorMessage(`This channel already watches ${counts.channel} services, the most one channel may (ISDOWN_MAX_WATCHES_PER_CHANNEL). Unwatch one first: /isdown list shows them.`)
              : errorMessage(`You already set ${counts.person} watches here, the most one person may (ISDOWN_MAX_WATCHES_PER_PERSON). Unwatch one, or ask an admin to raise the limit.`);
          }
        }
        const out = await port.watch({
          channel,
          user: who.user,
          target,
          everyMs,
          ...pickOptions(command),
        });
        if (target.kind === 'push') {
          const link = `${deps.publicUrl ?? ''}/push/${out.record.pushToken ?? ''}`;
          return infoMessage(
            `${out.replaced ? 'Updated: this channel expects' : 'Watching heartbeat'} ${target.name}: a call at least every ${command.everyText ?? formatDuration(everyMs)} (${formatDuration(graceOf(everyMs))} grace).`,
            [
              `Have the job call ${link} when it runs (GET or POST), e.g. curl -fsS --retry 3 ${link}`,
              `Add ?status=down&msg=… to report a failure. Silence past the period and its grace is an outage; the next call ends it.`,
              ...(deps.publicUrl ? [] : ['(Set ISDOWN_PUBLIC_URL so this is a full address.)']),
              'This URL is shown only to you: anyone who has it can send beats.',
            ],
          );
        }
        const extras = describeOptions(command);
        return infoMessage(
          `${out.replaced ? 'Updated: this channel watches' : 'Watching'} ${target.name} every ${command.everyText ?? formatDuration(everyMs)}${extras.length ? `, ${extras.join(', ')}` : ''}.`,
          [
            command.only === 'statuspage'
              ? `I'll post here when ${target.name}'s status page reports trouble, add each update it posts to the alert, tell maintenance it announces, and say when it is resolved. Nothing is probed.`
              : "I'll post here when it goes down, update the alert as it evolves, and say when it recovers.",
          ],
          'channel',
        );
      }
      case 'unwatch': {
        const n = await port.unwatch(channel, target.id);
        return n ? infoMessage(`Stopped watching ${target.name} in this channel.`, [], 'channel') : errorMessage(`This channel does not watch ${target.name}.`, USAGE.list);
      }
      case 'history': {
        const since = deps.now() - command.windowMs;
        // One read gives the incidents and the rollups for the same picture as uptime's.
        const found = await port.uptime(channel, target.id, since);
        if (found.length === 0) {
          const vendor = await vendorHistory(target, since, command.windowMs);
          return vendor ?? errorMessage(`This channel does not watch ${target.name}, so I have no history for it here.`, USAGE.watch);
        }
        const incidents = found.flatMap((f) => f.incidents).sort((a, b) => b.openedAt - a.openedAt);
        const seen = found[0]!;
        const chart = chartOf(`${target.name} — last ${formatDuration(command.windowMs)}`, seen.days, seen.incidents, command.windowMs, deps.now());
        const title = incidents.length === 0 ? `${target.name}: no incidents in the last ${formatDuration(command.windowMs)}.` : `${target.name}: ${incidents.length} ${incidents.length === 1 ? 'incident' : 'incidents'} in the last ${formatDuration(command.windowMs)}`;
        const msg = infoMessage(title, incidents.map((i) => `${new Date(i.openedAt).toISOString().slice(0, 10)} — ${tellStory(i, deps.now(), clock)}`));
        return { ...msg, chart };
      }
      case 'uptime': {
        const at = deps.now();
        const found = await port.uptime(channel, target.id, at - UPTIME_PERIODS['90d']);
        if (found.length === 0) return errorMessage(`This channel does not watch ${target.name}, so I keep no uptime for it here.`, USAGE.watch);
        return uptimeMessage(target.name, found, command.period, at);
      }
      case 'mute':
      case 'unmute': {
        const until = command.kind === 'mute' ? deps.now() + command.durationMs : undefined;
        const n = await port.mute(channel, target.id, until);
        if (!n) return errorMessage(`This channel does not watch ${target.name}.`, USAGE.list);
        return until
          ? infoMessage(`Muted ${target.name} here until ${clock(until)} (${formatDuration(command.kind === 'mute' ? command.durationMs : 0)}). I keep checking and recording; alerts resume after.`, [], 'channel')
          : infoMessage(`Unmuted ${target.name}: alerts are back on in this channel.`, [], 'channel');
      }
    }
  }

  async function run(command: Command, who: Requester): Promise<Message> {
    try {
      return await dispatch(command, who);
    } catch (err) {
      if (!isStoreFailure(err)) throw err;
      // Nothing was changed (or nothing could be read): say so, and what to do.
      const doing = READS.has(command.kind) ? "I couldn't read that" : "I couldn't save that";
      return errorMessage(`${doing}: the store is failing (${err.reason}). Nothing was changed; try again in a minute.`);
    }
  }

  async function dispatch(command: Command, who: Requester): Promise<Message> {
    switch (command.kind) {
      case 'help':
        return helpMessage(command.topic);
      case 'check':
        return check(command.target);
      case 'report':
        return report(command.target, who);
      case 'watch':
      case 'unwatch':
      case 'list':
      case 'history':
      case 'uptime':
      case 'mute':
      case 'unmute':
        if (command.kind === 'mute' && !(Number.isFinite(command.durationMs) && command.durationMs > 0 && command.durationMs <= MUTE_LIMIT.maxMs)) {
          // Buttons carry their duration in a payload a client could forge; it is checked here, for every platform.
          return errorMessage(`A mute lasts from a second to ${formatDuration(MUTE_LIMIT.maxMs)}.`, USAGE.mute);
        }
        if (!deps.watching) return infoMessage(`"${command.kind}" needs the bot running with its store (npm start).`, [USAGE[command.kind]]);
        return watching(command, who, deps.watching);
      case 'page':
        return page(command, who);
      case 'now': {
        const [known, watches] = await Promise.all([deps.vendor?.polling ? deps.vendor.snapshot() : Promise.resolve(undefined), deps.watching?.list(channelOf(who))]);
        return nowMessage(known, watches, { polling: deps.vendor?.polling ?? false, now: deps.now(), clock });
      }
    }
  }

  /** What a service's official page said over the window, for a service this channel does not watch. */
  async function vendorHistory(target: Target, since: number, windowMs: number): Promise<Message | undefined> {
    if (target.kind !== 'catalog' || !target.statusPage || !deps.vendor) return undefined;
    const h = await deps.vendor.history(target.id);
    if (!h && !deps.vendor.polling) return undefined;
    const incidents = h ? incidentsSince(h, since) : [];
    const window = formatDuration(windowMs);
    const title = incidents.length ? `${target.name}'s status page: ${incidents.length} ${incidents.length === 1 ? 'incident' : 'incidents'} in the last ${window}` : `${target.name}'s status page reported no incidents in the last ${window}.`;
    return infoMessage(title, [...incidents.map((i) => vendorLine(i, deps.now(), clock)), `From the official page${target.statusPage.page ? ` (${target.statusPage.page})` : ''}, read in the background. This channel does not watch ${target.name}; /isdown watch ${target.id} checks it too.`]);
  }

  return {
    run,
    async handle(text, who) {
      const parsed = parseCommand(text, deps.minIntervalMs !== undefined ? { minIntervalMs: deps.minIntervalMs } : {});
      if (!parsed.ok) return errorMessage(parsed.error, parsed.usage);
      return run(parsed.command, who);
    },
  };
}

const READS = new Set<Command['kind']>(['list', 'history', 'uptime', 'now']);

const IMPACT_WORD: Record<string, string> = { critical: 'major outage', major: 'partial outage', minor: 'minor', maintenance: 'maintenance', none: 'no impact given' };

function vendorLine(i: VendorIncident, now: number, clock: ClockFormat): string {
  const end = i.resolvedAt !== undefined ? `resolved ${clock(i.resolvedAt)}, after ${formatDuration(i.resolvedAt - i.startedAt)}` : `still open (${formatDuration(now - i.startedAt)} so far)`;
  const last = i.updates[i.updates.length - 1];
  return `${utcDate(i.startedAt)} — ${i.name} (${IMPACT_WORD[i.impact] ?? i.impact}): from ${clock(i.startedAt)}, ${end}${last ? `. Last update: ${last.body.slice(0, 200)}` : ''}`;
}

/** One watch's numbers (several watches of one target, with different options, are told one by one). */
function uptimeMessage(service: string, found: readonly ServiceUptime[], period: keyof typeof UPTIME_PERIODS, now: number): Message {
  const reports = found.map((f) => ({ f, r: uptimeReport(service, f.days, f.incidents, period, now) }));
  const { r } = reports[0]!;
  const lines = reports.flatMap(({ f, r: rep }) => {
    const opts = describeOptions(f.record);
    const head = reports.length > 1 ? [`— ${opts.length ? opts.join(', ') : 'plain check'}:`] : [];
    const longest = rep.longest ? `, the longest ${formatDuration(rep.longestMs)} (${utcDate(rep.longest.openedAt)})` : '';
    return [
      ...head,
      rep.byPeriod.map((p) => `${p.period} ${formatUptime(p.uptime)}`).join(' · '),
      rep.incidents === 0 ? `No incidents in the last ${period}.` : `${rep.incidents} ${rep.incidents === 1 ? 'incident' : 'incidents'} in the last ${period}${longest}.`,
      rep.p50 !== undefined ? `Response time: p50 ≤ ${formatLatency(rep.p50)}, p95 ≤ ${formatLatency(rep.p95 ?? rep.p50)}, slowest ${formatLatency(rep.maxMs ?? 0)}.` : 'No response times recorded in this period.',
      `From ${rep.total.checks.toLocaleString('en-US')} ${rep.total.checks === 1 ? 'check' : 'checks'}${rep.total.degraded ? `, ${rep.total.degraded.toLocaleString('en-US')} of them degraded` : ''}.`,
    ];
  });
  const tone = r.uptime === undefined ? 'info' : r.uptime >= 0.999 ? 'up' : r.uptime >= 0.99 ? 'degraded' : 'down';
  // For the channel, like a check: "how has it been?" is the team's question.
  return { ...infoMessage(`${service}: ${formatUptime(r.uptime)} up over the last ${period}`, lines, 'channel'), tone, chart: r.chart, at: now };
}

const HEALTH_WORD: Record<string, string> = { up: '✅ up', down: '🔴 down', partial: '🟠 partially down', degraded: '🟡 degraded', maintenance: '🔧 in maintenance' };

function describeWatch(i: ChannelMonitor, now: number, clock: ClockFormat): string {
  const state = i.state;
  // 'up' is only the starting assumption until a round could actually see the target.
  const health = !state ? '⏳ first check pending' : state.unseen ? '⏳ no conclusive check yet (my own network was failing, or the first check is still to come)' : (HEALTH_WORD[state.health] ?? state.health);
  const since = state && state.health !== 'up' ? ` since ${clock(state.since)}` : '';
  const notes = [
    `${i.record.target.kind === 'push' ? 'heartbeat expected every' : 'every'} ${formatDuration(i.watch.everyMs)}`,
    ...describeOptions(i.record),
    state?.cert && `certificate valid until ${utcDate(state.cert.expiresAt)}`,
    state?.flapping && 'flapping',
    i.watch.mutedUntil !== undefined && i.watch.mutedUntil > now && `muted until ${clock(i.watch.mutedUntil)}`,
    i.watch.pausedReason && `paused: ${i.watch.pausedReason}`,
  ].filter(Boolean);
  return `${i.record.target.name} — ${health}${since} (${notes.join(', ')})`;
}
