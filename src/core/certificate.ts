/**
 * Certificate expiry warnings, pure: each https watch warns once when its certificate enters the
 * operator's window (ISDOWN_CERT_WARN_DAYS, 14), once more at FINAL_DAYS, and starts over when a
 * renewed certificate appears. An expired certificate needs no warning: the check itself fails.
 */
export const FINAL_DAYS = 3;
const DAY_MS = 86_400_000;

export type CertStage = 'soon' | 'final';

export interface CertState {
  readonly expiresAt: number;
  /** The last warning given for this certificate. */
  readonly warned?: CertStage;
}

export interface CertNotice {
  readonly type: 'certificate';
  readonly stage: CertStage;
  readonly expiresAt: number;
  readonly at: number;
}

/** Which warning, if any, `now` calls for. */
function stageAt(expiresAt: number, now: number, warnDays: number): CertStage | undefined {
  const left = expiresAt - now;
  if (left <= 0) return undefined;
  if (left <= FINAL_DAYS * DAY_MS) return 'final';
  if (left <= warnDays * DAY_MS) return 'soon';
  return undefined;
}

/**
 * The certificate seen this round (the earliest expiry among the regions' answers), against
 * what was known. No certificate this round (plain http, a failed handshake) changes nothing.
 */
export function nextCertState(prev: CertState | undefined, seen: number | undefined, now: number, warnDays: number): { state: CertState | undefined; notice?: CertNotice } {
  if (seen === undefined) return { state: prev };
  // A different certificate (renewed, or a load balancer with another) starts over.
  const base: CertState = prev && prev.expiresAt === seen ? prev : { expiresAt: seen };
  const stage = stageAt(seen, now, warnDays);
  const due = stage && (base.warned === undefined || (stage === 'final' && base.warned === 'soon'));
  if (!due) return { state: base === prev ? prev : base };
  // Entering the window already inside the final days warns once, as final.
  return { state: { expiresAt: seen, warned: stage }, notice: { type: 'certificate', stage, expiresAt: seen, at: now } };
}

export function daysLeft(expiresAt: number, now: number): number {
  return Math.max(0, Math.floor((expiresAt - now) / DAY_MS));
}
