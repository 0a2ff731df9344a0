import { formatDuration, formatLatency } from './duration.ts';
import type {
  ComponentStatus,
  ControlResult,
  CrowdSummary,
  Impact,
  ProbeResult,
  ServiceFace,
  StatusComponent,
  StatusIncident,
  StatusOutcome,
  StatusReport,
  Verdict,
  VerdictState,
} from './types.ts';

export interface VerdictThresholds {
  /** A total latency above this, while answering, is `degraded`. */
  readonly slowMs: number;
  /** Crowd reports from at least this many teams are worth a mention. */
  readonly crowdTeams: number;
}

export const DEFAULT_THRESHOLDS: VerdictThresholds = { slowMs: 3_000, crowdTeams: 2 };

export interface VerdictInput {
  readonly name: string;
  /** Every attempt of this round from every region, in the order they ran. */
  readonly probes: readonly ProbeResult[];
  /** Present when the control targets were checked (only after a network-level failure). */
  readonly control?: ControlResult;
  readonly status?: StatusOutcome;
  /** Narrow the status page to one component (a watch's `component "API"`). */
  readonly component?: string;
  readonly crowd?: CrowdSummary;
  readonly thresholds?: VerdictThresholds;
  /** Regions asked that did not answer this round: left out, not counted as down. */
  readonly silentRegions?: readonly string[];
}

/** How one region saw the target in this round. */
export interface RegionOutcome {
  readonly region: string;
  readonly state: 'up' | 'slow' | 'flaky' | 'down';
  readonly last: ProbeResult;
  readonly attempts: number;
  readonly failures: number;
}

const COMPONENT_WORDS: Record<ComponentStatus, string> = {
  operational: 'operational',
  degraded_performance: 'performance issues',
  partial_outage: 'partial outage',
  major_outage: 'major outage',
  under_maintenance: 'under maintenance',
  unknown: 'status unknown',
};

export function describeProbe(p: ProbeResult): string {
  if (p.error && p.status === undefined) return p.error.message;
  // A TCP check has no status: it connected (and read what it was told to).
  if (p.status === undefined) return `connected in ${formatLatency(p.latency.total)}`;
  const line = `${p.status} ${p.statusText ?? ''}`.trim();
  if (p.error && p.error.code !== 'http_5xx' && p.error.code !== 'http_4xx' && p.error.code !== 'http_status') return `${line}, but ${p.error.message}`;
  // A status outside the watch's own list says so: "401 Unauthorized, not an accepted status (200-299)".
  if (p.error) return p.error.message.startsWith(line) ? p.error.message : line;
  if (p.slowBody) return `${line} after ${formatLatency(p.latency.firstByte)}, but the page was still arriving after ${formatLatency(p.latency.total)}`;
  return `${line} in ${formatLatency(p.latency.total)}`;
}

export function regionOutcomes(probes: readonly ProbeResult[], slowMs: number): RegionOutcome[] {
  const byRegion = new Map<string, ProbeResult[]>();
  for (const p of probes) byRegion.set(p.region, [...(byRegion.get(p.region) ?? []), p]);
  return [...byRegion].map(([region, attempts]) => {
    const last = attempts[attempts.length - 1]!;
    const failures = attempts.filter((a) => !a.ok).length;
    const state = !last.ok ? 'down' : failures > 0 ? 'flaky' : last.slowBody || last.latency.total > slowMs ? 'slow' : 'up';
    return { region, state, last, attempts: attempts.length, failures };
  });
}

function spacing(attempts: readonly ProbeResult[]): string {
  if (attempts.length < 2) return '1 check';
  const gap = (attempts[attempts.length - 1]!.at - attempts[0]!.at) / (attempts.length - 1);
  return `${attempts.length} checks, ${formatDuration(gap)} apart`;
}

function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Whether any of these texts names the component (a watch's `component "API"`), case aside. */
export function mentions(component: string, texts: readonly string[]): boolean {
  const want = component.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(want));
}

function relevantComponents(report: StatusReport, component?: string): readonly StatusComponent[] {
  if (!component) return report.components;
  return report.components.filter((c) => mentions(component, [c.name]));
}

interface StatusView {
  readonly worst: 'ok' | 'minor' | 'major' | 'maintenance';
  readonly words: string;
}

const SEVERITY: Record<ComponentStatus, number> = {
  operational: 0, unknown: 0, under_maintenance: 1, degraded_performance: 2, partial_outage: 3, major_outage: 4,
};

type Worst = StatusView['worst'];
const RANK: Record<Worst, number> = { ok: 0, maintenance: 1, minor: 2, major: 3 };

/** The provider's own word for an incident's impact, as our scale. "none" claims no impact. */
function impactWorst(impact: Impact): Worst {
  return impact === 'major' || impact === 'critical' ? 'major' : impact === 'minor' ? 'minor' : impact === 'maintenance' ? 'maintenance' : 'ok';
}

/**
 * The open incident that weighs most, and what it weighs. Real pages open incidents before any
 * component moves (GitHub's "Disruption with some GitHub services", impact minor, while the
 * indicator still says none) and run a major incident during a maintenance, so the incident's own
 * impact counts; an incident that states no impact borrows the page's indicator.
 */
function weightiestIncident(open: readonly StatusIncident[], indicator: Impact): { incident: StatusIncident; worst: Worst } | undefined {
  let best: { incident: StatusIncident; worst: Worst } | undefined;
  for (const incident of open) {
    const worst = impactWorst(incident.impact);
    if (!best || RANK[worst] > RANK[best.worst]) best = { incident, worst };
  }
  if (best && best.worst === 'ok' && (indicator === 'minor' || indicator === 'major' || indicator === 'critical')) best = { ...best, worst: impactWorst(indicator) };
  return best;
}

/** What the official page says, in one sentence, narrowed to a component when asked. */
export function readStatus(report: StatusReport, component?: string): StatusView {
  const comps = relevantComponents(report, component);
  const troubled = comps.filter((c) => c.status !== 'operational' && c.status !== 'unknown');
  const maintenance = report.maintenances.find((m) => m.status === 'in_progress' || m.status === 'verifying');
  const openIncidents = report.incidents.filter((i) => i.status !== 'resolved' && i.status !== 'postmortem');
  const worstComponent = Math.max(0, ...troubled.map((c) => SEVERITY[c.status]));

  if (component && comps.length === 0) {
    // Pages without a component list (feeds, many incident.io pages) still name what is broken
    // in their incidents: an open incident that mentions the component speaks for it.
    const naming = openIncidents.find((i) => mentions(component, [i.name, i.latestUpdate?.body ?? '', ...i.components]));
    if (naming) {
      // Naming it is a claim of trouble even where no impact is stated.
      const stated = impactWorst(naming.impact);
      return { worst: stated === 'ok' ? 'minor' : stated, words: `The status page has an open incident that names ${component}: "${naming.name}" (${naming.status}).` };
    }
    if (report.components.length === 0) return { worst: 'ok', words: `The status page lists no components, and no open incident there names "${component}".` };
    return { worst: 'ok', words: `The status page lists no component named "${component}".` };
  }
  // Asked about one component, its own status answers; the whole page also weighs its open incidents.
  const heaviest = component ? undefined : weightiestIncident(openIncidents, report.indicator);
  const incidentWords = heaviest ? `"${heaviest.incident.name}" (${heaviest.incident.status})` : '';

  if (troubled.length === 0) {
    if (heaviest && heaviest.worst !== 'ok') {
      const during = maintenance ? `, during maintenance (${maintenance.name})` : '';
      return { worst: heaviest.worst, words: `The status page reports ${incidentWords}${during}.` };
    }
    if (maintenance && !component) return { worst: 'maintenance', words: `The status page shows maintenance in progress: ${maintenance.name}.` };
    if (component) return { worst: 'ok', words: `The status page says ${comps[0]!.name} is operational.` };
    // A feed lists incidents, not components: "all components operational" would claim what it never said.
    const calm = report.components.length ? 'The status page says all components operational' : 'The status page reports no open incident';
    if (heaviest) return { worst: 'ok', words: `${calm}; it lists ${incidentWords} with no impact.` };
    return { worst: 'ok', words: `${calm}.` };
  }

  const fromComponents: Worst = worstComponent >= 3 ? 'major' : worstComponent === 2 ? 'minor' : 'maintenance';
  const raised = heaviest !== undefined && RANK[heaviest.worst] > RANK[fromComponents];
  const worst = raised ? heaviest.worst : fromComponents;
  const also = raised ? ` Open incident: ${incidentWords}, ${heaviest.incident.impact} impact.` : '';
  const shown = troubled.slice(0, 5).map((c) => `${c.name} (${COMPONENT_WORDS[c.status]})`);
  const more = troubled.length > 5 ? ` and ${troubled.length - 5} more` : '';
  if (troubled.length === comps.length) {
    const kinds = new Set(troubled.map((c) => c.status));
    if (kinds.size === 1) {
      const what = COMPONENT_WORDS[troubled[0]!.status];
      return { worst, words: (comps.length === 1 ? `The status page reports ${what} of ${comps[0]!.name}.` : `The status page reports ${what} of all ${comps.length} components.`) + also };
    }
    return { worst, words: `The status page reports problems with every component: ${listNames(shown)}${more}.${also}` };
  }
  if (troubled.length <= comps.length / 2) {
    return { worst, words: `All components operational except ${listNames(shown)}${more}.${also}` };
  }
  const fine = comps.filter((c) => !troubled.includes(c)).map((c) => c.name);
  return { worst, words: `The status page reports ${listNames(shown)}${more}; only ${listNames(fine.slice(0, 3))}${fine.length > 3 ? ' and others' : ''} operational.${also}` };
}

/**
 * The fused verdict: our probes from every region, the official status page and what other
 * teams report, into one state with the reasons in words. Pure: same input, same answer.
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const t = input.thresholds ?? DEFAULT_THRESHOLDS;
  const name = input.name;
  const regions = regionOutcomes(input.probes, t.slowMs);
  const reasons: string[] = [];
  const multi = regions.length > 1;

  for (const r of regions) {
    const prefix = multi ? `From ${r.region}: ` : '';
    const tries = r.attempts > 1 ? ` (${r.failures} of ${r.attempts} checks failed)` : '';
    reasons.push(`${prefix}${describeProbe(r.last)}${r.state === 'flaky' ? tries : r.state === 'down' && r.attempts > 1 ? ` (${spacing(input.probes.filter((p) => p.region === r.region))})` : ''}`);
  }

  const silent = input.silentRegions ?? [];
  if (silent.length) {
    reasons.push(`No answer from ${listNames([...silent])} this round; ${silent.length === 1 ? 'it is' : 'they are'} left out of the verdict.`);
  }

  const status = input.status;
  const view = status?.ok ? readStatus(status.report, input.component) : undefined;
  if (status && !status.ok) reasons.push(`Status page unavailable: ${status.reason}.`);
  if (view) reasons.push(view.words);

  const crowd = input.crowd && input.crowd.reports > 0 ? input.crowd : undefined;
  if (crowd) {
    reasons.push(`${crowd.reports} ${crowd.reports === 1 ? 'report' : 'reports'} from ${crowd.teams} ${crowd.teams === 1 ? 'team' : 'teams'} in the last ${formatDuration(crowd.windowMs)}.`);
  }

  const down = regions.filter((r) => r.state === 'down');
  const control = input.control;
  const ownNetworkDown = control !== undefined && control.checked > 0 && control.failed === control.checked;
  // Some control target got an answer that was not its own: something between us and the web.
  const intercepted = ownNetworkDown && (control.intercepted ?? 0) > 0;

  const verdict = (state: VerdictState, summary: string): Verdict => ({ state, summary, reasons });

  if (regions.length === 0) {
    reasons.unshift('No region ran a probe this round.');
    return verdict('unknown', `I could not check ${name}.`);
  }

  if (down.length === regions.length) {
    if (intercepted) {
      reasons.push(`My control checks got answers that were not theirs (${control.intercepted} of ${control.checked}): a redirect, another status or a certificate for another name.`);
      return verdict('unknown', `I can't tell whether ${name} is down: my network intercepts HTTPS (a proxy or captive portal answers in its place).`);
    }
    if (ownNetworkDown) {
      reasons.push(`My control checks failed too (${control.failed} of ${control.checked}), so the problem is likely on my side.`);
      return verdict('unknown', `I can't tell whether ${name} is down: my own connection is failing.`);
    }
    if (view?.worst === 'maintenance') return verdict('maintenance', `${name} is down for maintenance.`);
    const first = down[0]!;
    const blocked = first.last.error?.code === 'blocked';
    if (blocked) return verdict('unknown', `I won't check ${name}: ${first.last.error!.message}`);
    if (first.last.error?.code === 'setting') return verdict('unknown', `I can't check ${name}: ${first.last.error.message}.`);
    const how = multi ? `from every region (${listNames(down.map((r) => r.region))})` : `for everyone`;
    const confirm = first.attempts > 1 ? ` (${spacing(input.probes.filter((p) => p.region === first.region))})` : '';
    if (view?.worst === 'ok' && !input.component) reasons.push('The status page has not caught up yet.');
    return verdict('down', `${name} is down ${how}: ${describeProbe(first.last)}${multi ? '' : confirm}.`);
  }

  if (down.length > 0) {
    const upNames = regions.filter((r) => r.state !== 'down').map((r) => r.region);
    return verdict('partial', `${name} is down from ${listNames(down.map((r) => r.region))}, up from ${listNames(upNames)}.`);
  }

  if (intercepted) {
    reasons.push(`Every answer came from another host, and my control checks got answers that were not theirs (${control.intercepted} of ${control.checked}).`);
    return verdict('unknown', `I can't tell whether ${name} is up: my network intercepts my checks (a proxy or captive portal answers in its place).`);
  }

  // Every region reached it. The status page may still know of trouble our front-door check can't see.
  if (view?.worst === 'major') {
    reasons.unshift(`Our checks get ${describeProbe(regions[0]!.last)}, but the status page reports a major problem.`);
    return verdict('partial', `${name} answers, but parts of it are down according to its status page.`);
  }
  const slow = regions.filter((r) => r.state === 'slow');
  const flaky = regions.filter((r) => r.state === 'flaky');
  if (flaky.length > 0) {
    return verdict('degraded', `${name} is unreliable: ${flaky[0]!.failures} of ${flaky[0]!.attempts} checks failed before it answered.`);
  }
  if (slow.length > 0) {
    const s = slow[0]!.last;
    if (s.slowBody) return verdict('degraded', `${name} answers, slowly: ${describeProbe(s)}.`);
    return verdict('degraded', `${name} is slow: ${describeProbe(s)} (over ${formatLatency(t.slowMs)}).`);
  }
  const limited = regions.find((r) => r.last.refusal === 'rate_limited');
  if (limited) {
    return verdict('degraded', `${name} is rate-limiting my checks (${describeProbe(limited.last)}); others are probably fine.`);
  }
  if (view?.worst === 'minor') {
    return verdict('degraded', `${name} answers, but its status page reports problems.`);
  }
  const firstUp = regions[0]!.last;
  const fast = `${describeProbe(firstUp)}`;
  const walled = regions.find((r) => r.last.refusal === 'auth' || r.last.refusal === 'challenge');
  if (walled) {
    const why = walled.last.refusal === 'challenge' ? 'a bot challenge' : 'a login or permission wall';
    return verdict('up', `${name} is up: it answers, but will not serve an automated check (${describeProbe(walled.last)}, ${why}).`);
  }
  if (crowd && crowd.teams >= t.crowdTeams) {
    return verdict('up', `${name} is up from here, but others report problems. ${fast}.`);
  }
  if (view?.worst === 'maintenance') return verdict('up', `${name} is up; maintenance is in progress. ${fast}.`);
  return verdict('up', `${name} is up — it's just you. ${fast}.`);
}

/**
 * A vendor watch (`only statuspage`): the official page is the only evidence, and it is taken at
 * its word. A page that names a major outage (of the component asked about, or a critical
 * incident) is down; other major trouble is partial; minor is degraded. A page that cannot be
 * read says nothing new: unknown, which changes no state.
 */
export function statusVerdict(name: string, status: StatusOutcome | undefined, component?: string): Verdict {
  if (!status?.ok) return { state: 'unknown', summary: `${name}'s status page could not be read${status ? `: ${status.reason}` : ''}.`, reasons: [] };
  const report = status.report;
  const view = readStatus(report, component);
  const comps = relevantComponents(report, component);
  const critical = comps.some((c) => c.status === 'major_outage') || (!component && report.incidents.some((i) => i.impact === 'critical' && i.status !== 'resolved' && i.status !== 'postmortem'));
  const state: VerdictState = view.worst === 'ok' ? 'up' : view.worst === 'maintenance' ? 'maintenance' : view.worst === 'minor' ? 'degraded' : critical ? 'down' : 'partial';
  const what = component ? `${name} ${component}` : name;
  const head = state === 'up' ? `${what}: the status page reports no problem.` : state === 'maintenance' ? `${what}: maintenance, says the status page.` : `${what}: the status page reports ${state === 'down' ? 'a major outage' : state === 'partial' ? 'a partial outage' : 'problems'}.`;
  return { state, summary: head, reasons: [view.words, `From the official status page alone (only statuspage): ${report.page}`] };
}

/**
 * A one-shot answer about a service with several faces (its website, its API, its mobile site):
 * each face's probe is told, and when some answer and others do not, the service is partially
 * down, said in those words. A verdict that is unknown (our side) or maintenance keeps its state.
 */
export function withFaces(verdict: Verdict, name: string, faces: readonly { readonly face: ServiceFace; readonly probes: readonly ProbeResult[] }[]): Verdict {
  const told = faces.map(({ face, probes }) => {
    const last = probes[probes.length - 1];
    // A face that refuses an automated check still answers, as the main URL's reading has it.
    const answers = probes.some((p) => p.ok);
    const blocked = last?.error?.code === 'blocked';
    return { face, answers, blocked, last };
  });
  const reasons = [...verdict.reasons, ...told.map((t) => `${t.face.label} (${hostOf(t.face.url)}): ${t.last ? describeProbe(t.last) : 'no region answered'}.`)];
  const seen = told.filter((t) => t.last && !t.blocked);
  const up = seen.filter((t) => t.answers).map((t) => `the ${t.face.label}`);
  const down = seen.filter((t) => !t.answers).map((t) => `the ${t.face.label}`);
  if (verdict.state === 'down' && up.length) {
    return { state: 'partial', summary: `${name} is partially down: ${listNames(up)} ${up.length === 1 ? 'answers' : 'answer'}, the website does not.`, reasons };
  }
  if ((verdict.state === 'up' || verdict.state === 'degraded') && down.length) {
    return { state: 'partial', summary: `${name} is partially down: the website answers, ${listNames(down)} ${down.length === 1 ? 'does' : 'do'} not.`, reasons };
  }
  return { ...verdict, reasons };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
