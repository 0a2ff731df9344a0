import { z } from 'zod';
import type { ComponentStatus, Impact, StatusReport } from '../../core/types.ts';
import { INDICATOR_WORDS, parseJson, PayloadError, type StatusProvider } from './provider.ts';

/** Instatus pages: /summary.json for the page, incidents and maintenances; /v2/components.json for components. */

const summary = z.object({
  page: z.object({ name: z.string(), url: z.string(), status: z.enum(['UP', 'HASISSUES', 'UNDERMAINTENANCE']) }),
  activeIncidents: z
    .array(z.object({ name: z.string(), status: z.string(), impact: z.string().nullish(), url: z.string().nullish(), started: z.string().nullish(), updatedAt: z.string().nullish() }))
    .default([]),
  activeMaintenances: z
    .array(z.object({ name: z.string(), status: z.string(), start: z.string().nullish(), duration: z.union([z.string(), z.number()]).nullish(), url: z.string().nullish() }))
    .default([]),
});
const components = z.object({
  components: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      isParent: z.boolean().nullish(),
      group: z.object({ name: z.string() }).nullish(),
    }),
  ),
});

const COMPONENT: Record<string, ComponentStatus> = {
  OPERATIONAL: 'operational',
  DEGRADEDPERFORMANCE: 'degraded_performance',
  PARTIALOUTAGE: 'partial_outage',
  MINOROUTAGE: 'partial_outage',
  MAJOROUTAGE: 'major_outage',
  UNDERMAINTENANCE: 'under_maintenance',
};
const IMPACT: Record<string, Impact> = { OPERATIONAL: 'none', DEGRADEDPERFORMANCE: 'minor', PARTIALOUTAGE: 'major', MINOROUTAGE: 'minor', MAJOROUTAGE: 'critical' };
const RANK: Record<Impact, number> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };

export const instatus: StatusProvider = {
  kind: 'instatus',
  urls: (ref) => [ref.url, new URL('v2/components.json', ref.url.replace(/summary\.json$/, '')).href],
  parse([summaryBody, componentsBody], ctx) {
    const parsed = summary.safeParse(parseJson(summaryBody ?? '', 'Instatus summary'));
    if (!parsed.success) throw new PayloadError(`Instatus summary has an unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'root'})`);
    const s = parsed.data;
    // Components are a second document; the page still tells its story without them.
    let comps: StatusReport['components'] = [];
    if (componentsBody !== undefined) {
      const c = components.safeParse(parseJson(componentsBody, 'Instatus components'));
      if (c.success) {
        comps = c.data.components
          .filter((x) => !x.isParent)
          .map((x) => ({ name: x.name, status: COMPONENT[x.status] ?? 'unknown', ...(x.group?.name ? { group: x.group.name } : {}) }));
      }
    }
    let indicator: Impact = s.page.status === 'UNDERMAINTENANCE' ? 'maintenance' : 'none';
    const incidents = s.activeIncidents.map((i) => {
      const impact = IMPACT[i.impact ?? ''] ?? 'minor';
      if (RANK[impact] > RANK[indicator]) indicator = impact;
      return { name: i.name, status: i.status.toLowerCase(), impact, ...(i.url ? { url: i.url } : {}), components: [], ...(i.started ? { startedAt: i.started } : {}) };
    });
    if (s.page.status === 'HASISSUES' && indicator === 'none') indicator = 'minor';
    return {
      provider: 'instatus',
      page: s.page.url || ctx.page,
      indicator,
      description: INDICATOR_WORDS[indicator],
      components: comps,
      incidents,
      maintenances: s.activeMaintenances.map((m) => ({
        name: m.name,
        status: m.status === 'INPROGRESS' ? 'in_progress' : m.status === 'COMPLETED' ? 'completed' : 'scheduled',
        ...(m.start ? { scheduledFor: m.start } : {}),
        components: [],
      })),
    };
  },
};
