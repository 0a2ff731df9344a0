import { parseStatusList } from './status-codes.ts';
import { parseHeader, parseJsonCondition, type HeaderFromEnv } from './conditions.ts';
import type { WatchOptions } from './watch.ts';
import { decideVerdict, withFaces, DEFAULT_THRESHOLDS as DEFAULT_VERDICT_THRESHOLDS, type VerdictThresholds } from './verdict.ts';
import type { ControlResult, CrowdSummary, ProbeRequest, ProbeResult, StatusOutcome, Target, Verdict } from './types.ts';

/** What a check needs from the outside world, injected so the core stays pure. */
export interface CheckPorts {
  /** Probes from every configured region; one result per region that answered. */
  probe(req: ProbeRequest): Promise<ProbeResult[]>;
  /** The regions asked (distributed mode), so a silent one can be named rather than counted. */
  readonly regions?: readonly string[];
  sleep(ms: number): Promise<void>;
  /** The clock, for the answer's time budget (absent: no budget). */
  now?(): number;
  /** Checks our own network; undefined when no control targets are configured. */
  control(): Promise<ControlResult | undefined>;
  status?(target: Target): Promise<StatusOutcome | undefined>;
  crowd?(target: Target): Promise<CrowdSummary | undefined>;
}

export interface CheckPolicy {
  /** Attempts before "down" is said: the first plus quick re-checks. */
  readonly confirmAttempts: number;
  readonly confirmDelayMs: number;
  readonly thresholds?: VerdictThresholds;
  /**
   * The whole answer's time budget, and the longest one attempt can take: a re-check that could
   * not finish inside the budget is not started, so a one-shot answer comes within 20 s
   * whatever the target does.
   */
  readonly budget?: { readonly totalMs: number; readonly attemptMs: number };
  /** Probe the target's other faces too (a one-shot answer; a watch's rounds do not). */
  readonly faces?: boolean;
}

export type CheckOptions = WatchOptions;

export interface CheckOutcome {
  readonly target: Target;
  readonly verdict: Verdict;
  readonly probes: readonly ProbeResult[];
  readonly status?: StatusOutcome;
  readonly crowd?: CrowdSummary;
  readonly control?: ControlResult;
}

/**
 * Failures that could be ours as much as theirs, worth asking the control targets about: a TLS
 * failure too, since an intercepting proxy or portal causes exactly that.
 */
const NETWORK_LEVEL = new Set(['dns', 'refused', 'reset', 'timeout', 'tls']);

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
};

/**
 * Checks a target now: probes every region, re-checks failures before calling them down,
 * asks the control targets when the failure could be our own, and fuses in the status page
 * and crowd reports.
 */
export async function runCheck(target: Target, opts: CheckOptions, ports: CheckPorts, policy: CheckPolicy): Promise<CheckOutcome> {
  const url = target.urls[0];
  if (!url) throw new Error(`target ${target.id} has no URL to probe`);
  const accepted = opts.status ? parseStatusList(opts.status) : undefined;
  const json = opts.json ? parseJsonCondition(opts.json) : undefined;
  const req: ProbeRequest = {
    url,
    ...(opts.expect ?? target.expect ? { expect: opts.expect ?? target.expect } : {}),
    ...(opts.forbid ?? target.forbid ? { forbid: opts.forbid ?? target.forbid } : {}),
    ...(accepted?.ok ? { acceptStatus: accepted.ranges } : {}),
    ...(opts.method && opts.method !== 'GET' ? { method: opts.method } : {}),
    ...(opts.headers?.length ? { headers: opts.headers.map((h) => parseHeader(h)).flatMap((h): HeaderFromEnv[] => (h.ok ? [h.value] : [])) } : {}),
    ...(json?.ok ? { json: json.value } : {}),
  };

  const statusP = ports.status ? ports.status(target) : Promise.resolve(undefined);
  // Reports live in the store; a failing store must not take the answer down with it.
  let crowdFailed = false;
  const crowdP = ports.crowd
    ? ports.crowd(target).catch(() => {
        crowdFailed = true;
        return undefined;
      })
    : Promise.resolve(undefined);

  // The other faces, once each, at the same time as the main URL: they add to the answer, never delay it much.
  const facesP = policy.faces && target.faces?.length ? Promise.all(target.faces.map(async (f) => ({ face: f, probes: await ports.probe({ url: f.url, ...(policy.budget ? { timeoutMs: policy.budget.attemptMs } : {}) }).catch(() => []) }))) : Promise.resolve(undefined);
  const started = ports.now?.();
  const probes: ProbeResult[] = [];
  let round = await ports.probe(req);
  probes.push(...round);
  for (let attempt = 1; attempt < policy.confirmAttempts; attempt++) {
    const failing = round.filter((p) => !p.ok && p.error?.code !== 'blocked' && p.error?.code !== 'setting');
    if (failing.length === 0) break;
    // A timeout already waited the full limit: repeating it would only make the answer late.
    if (failing.every((p) => p.error?.code === 'timeout')) break;
    // A re-check gets what is left of the budget, never more: a slow failure shortens the next try.
    let attemptReq = req;
    if (started !== undefined && policy.budget) {
      const left = policy.budget.totalMs - (ports.now!() - started) - policy.confirmDelayMs;
      if (left < 1_000) break;
      if (left < policy.budget.attemptMs) attemptReq = { ...req, timeoutMs: left };
    }
    await ports.sleep(policy.confirmDelayMs);
    round = await ports.probe(attemptReq);
    // Only regions that were failing are re-asked about; the others' first answer stands.
    const failingRegions = new Set(failing.map((p) => p.region));
    round = round.filter((p) => failingRegions.has(p.region));
    probes.push(...round);
  }

  const lastByRegion = new Map(probes.map((p) => [p.region, p]));
  const allDown = [...lastByRegion.values()].every((p) => !p.ok);
  const networkLevel = [...lastByRegion.values()].every((p) => p.error && NETWORK_LEVEL.has(p.error.code));
  // Every answer came from another host than the one asked (a captive portal's redirect is the
  // classic case): ask the control targets whether that answer is really the target's.
  const redirectedAway = lastByRegion.size > 0 && [...lastByRegion.values()].every((p) => p.ok && p.redirects.length > 0 && hostOf(p.finalUrl) !== hostOf(p.url));
  const control = (allDown && networkLevel) || redirectedAway ? await ports.control() : undefined;

  const [status, crowd, faces] = await Promise.all([statusP, crowdP, facesP]);
  const silentRegions = (ports.regions ?? []).filter((r) => !lastByRegion.has(r));
  const decided = decideVerdict({
    name: target.name,
    probes,
    ...(silentRegions.length ? { silentRegions } : {}),
    ...(control ? { control } : {}),
    ...(status ? { status } : {}),
    ...(crowd ? { crowd } : {}),
    ...(opts.component ? { component: opts.component } : {}),
    ...(policy.thresholds || opts.slowerThanMs !== undefined ? { thresholds: { ...(policy.thresholds ?? DEFAULT_VERDICT_THRESHOLDS), ...(opts.slowerThanMs !== undefined ? { slowMs: opts.slowerThanMs } : {}) } } : {}),
  });
  const withCrowd = crowdFailed ? { ...decided, reasons: [...decided.reasons, "Other teams' reports are unavailable right now (isdown's store is failing)."] } : decided;
  const verdict = faces ? withFaces(withCrowd, target.name, faces) : withCrowd;
  return {
    target,
    verdict,
    probes,
    ...(status ? { status } : {}),
    ...(crowd ? { crowd } : {}),
    ...(control ? { control } : {}),
  };
}
