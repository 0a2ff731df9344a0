/**
 * Who may change what, decided here for every platform. An adapter only reports the person's
 * role (a Slack workspace admin or owner, a Discord member with Manage Server); it decides
 * nothing itself, so the same person gets the same answer on every platform.
 */
export type ChangeKind = 'watch' | 'unwatch' | 'mute' | 'unmute';

export interface ChangeRequest {
  readonly kind: ChangeKind;
  readonly user: string;
  /** Who set the watches of this channel on this target (empty when there are none yet). */
  readonly owners: readonly string[];
  /** ISDOWN_RESTRICT_CHANGES. */
  readonly restricted: boolean;
}

export type ChangeDecision = { readonly allowed: true } | { readonly allowed: false; readonly needsAdmin: true; readonly reason: string };

/**
 * With restriction on, anyone may add a watch, but a watch someone else set (its interval, its
 * options, its mute, its removal) is changed only by them or an admin; "watch X every 24h" over
 * another person's watch is a change like any other. The admin question is asked only when the
 * answer matters (`needsAdmin`), since asking costs a platform call.
 */
export function decideChange(r: ChangeRequest): ChangeDecision {
  if (!r.restricted) return { allowed: true };
  const others = r.owners.filter((o) => o !== r.user);
  if (others.length === 0) return { allowed: true };
  const verb = r.kind === 'watch' ? 'change the watch of' : r.kind;
  return { allowed: false, needsAdmin: true, reason: `Only an admin, or the person who set this watch, can ${verb}` };
}
