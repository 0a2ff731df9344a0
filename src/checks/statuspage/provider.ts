import type { StatusPageKind, StatusPageRef, StatusReport } from '../../core/types.ts';

/**
 * One status page format. A provider names the documents it needs and turns their bodies
 * into a StatusReport; anything it does not recognise is a PayloadError, never a guess.
 */
export interface StatusProvider {
  readonly kind: StatusPageKind;
  /** Documents to fetch, in the order parse receives them. */
  urls(ref: StatusPageRef): string[];
  /** The first body is always present; later (optional) documents are undefined when they failed. */
  parse(bodies: readonly (string | undefined)[], ctx: ParseContext): StatusReport;
}

export interface ParseContext {
  /** Epoch ms now; feeds need it to tell a recent entry from history. */
  readonly now: number;
  /** The human page, for links. */
  readonly page: string;
  /** Feeds: how long an unresolved event stays open after its last update. */
  readonly horizonMs?: number;
}

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

export function parseJson(body: string, what: string): unknown {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('<')) throw new PayloadError(`${what} answered with HTML, not JSON`);
  try {
    return JSON.parse(body);
  } catch {
    throw new PayloadError(`${what} is not valid JSON`);
  }
}

/** "Partial System Outage" from the worst of a set of impacts, in Statuspage's own words. */
export const INDICATOR_WORDS = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
} as const;
