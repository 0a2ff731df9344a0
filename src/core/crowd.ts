import type { CrowdSummary } from './types.ts';

/** "It is down for me" reports: pure rules, the store only keeps the list. */

export interface CrowdReport {
  /** Workspace or guild. */
  readonly tenant: string;
  /** A keyed hash of the user id: enough to tell reporters apart, not to name them. */
  readonly user: string;
  readonly at: number;
}

export const CROWD = {
  /** One report per user per service in this window. */
  perUserWindowMs: 15 * 60_000,
  /** Reports older than this are forgotten. */
  expiryMs: 60 * 60_000,
  /** The window an answer summarises. */
  summaryWindowMs: 30 * 60_000,
} as const;

export type AddOutcome = { readonly accepted: true; readonly list: CrowdReport[] } | { readonly accepted: false; readonly retryInMs: number; readonly list: CrowdReport[] };

export function addReport(list: readonly CrowdReport[], report: CrowdReport): AddOutcome {
  const live = list.filter((r) => report.at - r.at < CROWD.expiryMs);
  const mine = live.filter((r) => r.tenant === report.tenant && r.user === report.user).sort((a, b) => b.at - a.at)[0];
  if (mine && report.at - mine.at < CROWD.perUserWindowMs) {
    return { accepted: false, retryInMs: CROWD.perUserWindowMs - (report.at - mine.at), list: live };
  }
  return { accepted: true, list: [...live, report] };
}

export function summarise(list: readonly CrowdReport[], now: number, windowMs: number = CROWD.summaryWindowMs): CrowdSummary {
  const recent = list.filter((r) => now - r.at < windowMs && r.at <= now);
  return { reports: recent.length, teams: new Set(recent.map((r) => r.tenant)).size, windowMs };
}
