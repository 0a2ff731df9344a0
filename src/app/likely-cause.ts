import type { Service } from '../checks/catalog/catalog.ts';
import type { VendorStatusPort } from '../core/bot.ts';
import type { Impact } from '../core/types.ts';

const WORDS: Record<Exclude<Impact, 'none'>, string> = { critical: 'a major outage', major: 'a partial outage', minor: 'problems', maintenance: 'maintenance' };

/**
 * When several watches fail together, what they run on may be why: of the services the failing
 * ones depend on (their catalog entries' `dependsOn`), the one whose own status page reports the
 * worst trouble right now, in words. Undefined when none is known to.
 */
export async function likelyCause(targets: readonly string[], services: readonly Service[], vendor: VendorStatusPort): Promise<string | undefined> {
  const byId = new Map(services.map((s) => [s.id, s]));
  const candidates = new Set(targets.flatMap((t) => byId.get(t)?.dependsOn ?? []));
  if (!candidates.size || !vendor.polling) return undefined;
  const known = await vendor.snapshot();
  // knownTrouble lists the trouble worst first.
  const worst = (known?.trouble ?? []).find((t) => candidates.has(t.id));
  if (!worst) return undefined;
  const what = worst.incidents[0]?.name;
  return `Likely cause: ${worst.name}'s status page reports ${WORDS[worst.indicator]}${what ? ` ("${what}")` : ''}.`;
}
