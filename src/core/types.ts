/** The domain's nouns. Plain data only: no platform, no network client. */
import type { HeaderFromEnv, HttpMethod, JsonCondition } from './conditions.ts';

export type ProbeErrorCode =
  | 'dns'
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'tls'
  | 'http_5xx'
  | 'http_4xx'
  | 'http_status'
  | 'redirect_loop'
  | 'blocked'
  | 'expect_missing'
  | 'forbidden_text'
  /** A watch's JSON condition did not hold (or the answer was not JSON). */
  | 'condition_failed'
  /** The operator's side is missing something the check needs (a header's variable). */
  | 'setting';

export interface ProbeError {
  readonly code: ProbeErrorCode;
  /** One line a person can read: "the certificate expired on 2026-01-01". */
  readonly message: string;
}

/** Milliseconds spent in each phase; 0 for phases a reused connection skipped. */
export interface Latency {
  readonly dns: number;
  readonly connect: number;
  readonly tls: number;
  readonly firstByte: number;
  readonly total: number;
}

export interface ProbeResult {
  readonly url: string;
  readonly finalUrl: string;
  readonly region: string;
  /** True when the target answered acceptably: 2xx/3xx end, text checks passed. */
  readonly ok: boolean;
  readonly status?: number;
  readonly statusText?: string;
  readonly latency: Latency;
  readonly reusedConnection: boolean;
  readonly bytesRead: number;
  /** Reading stopped at the body cap; not a failure. */
  readonly truncated: boolean;
  readonly redirects: readonly string[];
  readonly error?: ProbeError;
  /**
   * The site answered, but would not serve an automated check: a login or permission wall
   * (401/403/407), a bot challenge, or a rate limit (429). Its content was not checked.
   */
  readonly refusal?: 'auth' | 'challenge' | 'rate_limited';
  /**
   * The answer came (an acceptable status), but its body was still arriving at the deadline: the
   * site answers, slowly. Its text was not checked.
   */
  readonly slowBody?: true;
  /** Epoch milliseconds when the probe started. */
  readonly at: number;
  /** When the certificate of the connection that gave the answer expires (https only), epoch ms. */
  readonly certExpiresAt?: number;
}

export interface ProbeRequest {
  readonly url: string;
  readonly expect?: string;
  readonly forbid?: string;
  /** Accepted status codes, replacing the default reading (`status 200-299,401`). */
  readonly acceptStatus?: readonly (readonly [number, number])[];
  /** A shorter deadline than the prober's own, for a re-check that must fit what is left of an answer's budget. */
  readonly timeoutMs?: number;
  /** Absent: GET. */
  readonly method?: HttpMethod;
  /** Sent with the value of the named environment variable, read where the probe runs. */
  readonly headers?: readonly HeaderFromEnv[];
  readonly json?: JsonCondition;
}

export type VerdictState = 'up' | 'degraded' | 'partial' | 'down' | 'maintenance' | 'unknown';

export interface Verdict {
  readonly state: VerdictState;
  /** The one-line answer, without emoji: "example.com is up — it's just you." */
  readonly summary: string;
  /** Which source says what, in words. */
  readonly reasons: readonly string[];
}

/** What the user named, resolved: a catalog service or an ad-hoc address. */
export interface Target {
  /** push: a heartbeat watch, which nothing probes; its job calls in. */
  readonly kind: 'catalog' | 'adhoc' | 'push';
  /** Stable key: catalog id or the normalised host. */
  readonly id: string;
  readonly name: string;
  readonly urls: readonly string[];
  readonly expect?: string;
  readonly forbid?: string;
  readonly statusPage?: StatusPageRef;
  /**
   * The service's other faces (its API, its mobile site), probed beside the main URL by a one-shot
   * check, so an answer can say "the API answers, the website does not".
   */
  readonly faces?: readonly ServiceFace[];
}

export interface ServiceFace {
  readonly label: string;
  readonly url: string;
}

export type StatusPageKind = 'atlassian' | 'incidentio' | 'instatus' | 'feed';

export interface StatusPageRef {
  readonly kind: StatusPageKind;
  /** The API or feed address the provider reads. */
  readonly url: string;
  /** The human page, for links. */
  readonly page?: string;
}

/** What the user typed, resolved to a target, or why not (with "did you mean" names). */
export type Resolution =
  | { readonly ok: true; readonly target: Target }
  | { readonly ok: false; readonly message: string; readonly suggestions?: readonly string[] };

/** The outcome of checking our own network against the control targets. */
export interface ControlResult {
  readonly checked: number;
  readonly failed: number;
  /**
   * Of the failed ones, those that got an answer that was not theirs (a redirect, another
   * status, a certificate for someone else): the path out is intercepted, not merely down.
   */
  readonly intercepted?: number;
}

/** Official status page, as one provider read it. */
export type ComponentStatus =
  | 'operational'
  | 'degraded_performance'
  | 'partial_outage'
  | 'major_outage'
  | 'under_maintenance'
  | 'unknown';

export interface StatusComponent {
  readonly name: string;
  readonly status: ComponentStatus;
  readonly group?: string;
}

export type Impact = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

export interface StatusIncident {
  readonly name: string;
  /** investigating, identified, monitoring, resolved, … in the provider's words */
  readonly status: string;
  readonly impact: Impact;
  readonly url?: string;
  readonly latestUpdate?: { readonly body: string; readonly at: string };
  readonly components: readonly string[];
  /** When the provider says it began (ISO 8601), where it says so. */
  readonly startedAt?: string;
}

export interface StatusMaintenance {
  readonly name: string;
  readonly status: 'scheduled' | 'in_progress' | 'verifying' | 'completed';
  readonly scheduledFor?: string;
  readonly scheduledUntil?: string;
  readonly components: readonly string[];
}

export interface StatusReport {
  readonly provider: StatusPageKind;
  readonly page: string;
  readonly indicator: Impact;
  readonly description: string;
  readonly components: readonly StatusComponent[];
  readonly incidents: readonly StatusIncident[];
  readonly maintenances: readonly StatusMaintenance[];
}

/** A status page read can fail; that is information, never a crash. */
export type StatusOutcome = { readonly ok: true; readonly report: StatusReport } | { readonly ok: false; readonly reason: string };

/** What other teams said recently ("it is down for me"). */
export interface CrowdSummary {
  readonly reports: number;
  readonly teams: number;
  readonly windowMs: number;
}

/** Service names that start like (or nearly like) what a person is typing: Discord's autocomplete asks the core through this. */
export type CompleteServices = (input: string, max: number) => readonly { readonly id: string; readonly name: string }[];
