import { z } from 'zod';
import type { ComponentStatus, Impact, StatusComponent, StatusReport } from '../../core/types.ts';
import { INDICATOR_WORDS, parseJson, PayloadError, type StatusProvider } from './provider.ts';

/**
 * incident.io status pages, through their public widget API (/api/v1/summary). It lists only
 * what is affected: ongoing incidents, maintenances, and the components they touch.
 */

const affected = z.object({ id: z.string().optional(), name: z.string(), group_name: z.string().nullish(), current_status: z.string().nullish() });
const event = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  url: z.string().nullish(),
  last_update_at: z.string().nullish(),
  last_update_message: z.string().nullish(),
  current_worst_impact: z.string().nullish(),
  affected_components: z.array(affected).default([]),
  starts_at: z.string().nullish(),
  ends_at: z.string().nullish(),
  started_at: z.string().nullish(),
  scheduled_end_at: z.string().nullish(),
});
const summary = z.object({
  page_title: z.string().optional(),
  page_url: z.string().optional(),
  ongoing_incidents: z.array(event),
  in_progress_maintenances: z.array(event),
  scheduled_maintenances: z.array(event),
});

const COMPONENT: Record<string, ComponentStatus> = {
  operational: 'operational',
  degraded_performance: 'degraded_performance',
  partial_outage: 'partial_outage',
  full_outage: 'major_outage',
  under_maintenance: 'under_maintenance',
};
const IMPACT: Record<string, Impact> = { degraded_performance: 'minor', partial_outage: 'major', full_outage: 'critical' };
const RANK: Record<Impact, number> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };

export const incidentio: StatusProvider = {
  kind: 'incidentio',
  urls: (ref) => [ref.url],
  parse([body], ctx) {
    const parsed = summary.safeParse(parseJson(body ?? '', 'incident.io summary'));
    if (!parsed.success) throw new PayloadError(`incident.io summary has an unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'root'})`);
    const s = parsed.data;
    const components = new Map<string, StatusComponent>();
    const touch = (c: z.infer<typeof affected>, status: ComponentStatus) => {
      const prev = components.get(c.name);
      const rank = (x: ComponentStatus) => ['operational', 'unknown', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'].indexOf(x);
      if (!prev || rank(status) > rank(prev.status)) components.set(c.name, { name: c.name, status, ...(c.group_name ? { group: c.group_name } : {}) });
    };
    let indicator: Impact = 'none';
    const incidents = s.ongoing_incidents.map((i) => {
      const impact = IMPACT[i.current_worst_impact ?? ''] ?? 'minor';
      if (RANK[impact] > RANK[indicator]) indicator = impact;
      for (const c of i.affected_components) touch(c, COMPONENT[c.current_status ?? i.current_worst_impact ?? ''] ?? 'degraded_performance');
      return {
        name: i.name,
        status: i.status,
        impact,
        ...(i.url ? { url: i.url } : {}),
        ...(i.last_update_message ? { latestUpdate: { body: i.last_update_message, at: i.last_update_at ?? '' } } : {}),
        components: i.affected_components.map((c) => c.name),
        ...(i.started_at ? { startedAt: i.started_at } : {}),
      };
    });
    for (const m of s.in_progress_maintenances) for (const c of m.affected_components) touch(c, 'under_maintenance');
    if (indicator === 'none' && s.in_progress_maintenances.length > 0) indicator = 'maintenance';
    const report: StatusReport = {
      provider: 'incidentio',
      page: s.page_url ?? ctx.page,
      indicator,
      description: INDICATOR_WORDS[indicator],
      components: [...components.values()],
      incidents,
      maintenances: [
        ...s.in_progress_maintenances.map((m) => ({
          name: m.name,
          status: 'in_progress' as const,
          ...((m.started_at ?? m.starts_at) ? { scheduledFor: (m.started_at ?? m.starts_at)! } : {}),
          ...((m.scheduled_end_at ?? m.ends_at) ? { scheduledUntil: (m.scheduled_end_at ?? m.ends_at)! } : {}),
          components: m.affected_components.map((c) => c.name),
        })),
        ...s.scheduled_maintenances.map((m) => ({
          name: m.name,
          status: 'scheduled' as const,
          ...(m.starts_at ? { scheduledFor: m.starts_at } : {}),
          ...(m.ends_at ? { scheduledUntil: m.ends_at } : {}),
          components: m.affected_components.map((c) => c.name),
        })),
      ],
    };
    return report;
  },
};
