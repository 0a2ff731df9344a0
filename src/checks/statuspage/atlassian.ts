import { z } from 'zod';
import type { ComponentStatus, Impact, StatusMaintenance, StatusReport } from '../../core/types.ts';
import { parseJson, PayloadError, type StatusProvider } from './provider.ts';

/** Atlassian Statuspage v2: /api/v2/summary.json, used by GitHub, Discord, Cloudflare and most others. */

const componentStatus = z.enum(['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance']);
const update = z.object({ status: z.string(), body: z.string(), display_at: z.string().nullish(), created_at: z.string().nullish() });
const incident = z.object({
  name: z.string(),
  status: z.string(),
  impact: z.enum(['none', 'minor', 'major', 'critical', 'maintenance']).catch('none'),
  shortlink: z.string().nullish(),
  incident_updates: z.array(update).default([]),
  components: z.array(z.object({ name: z.string() })).nullish(),
  scheduled_for: z.string().nullish(),
  scheduled_until: z.string().nullish(),
  started_at: z.string().nullish(),
  created_at: z.string().nullish(),
});
const summary = z.object({
  page: z.object({ name: z.string(), url: z.string() }),
  status: z.object({ indicator: z.enum(['none', 'minor', 'major', 'critical', 'maintenance']), description: z.string() }),
  components: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: componentStatus,
      group: z.boolean().nullish(),
      group_id: z.string().nullish(),
      components: z.array(z.string()).nullish(),
    }),
  ),
  incidents: z.array(incident).default([]),
  scheduled_maintenances: z.array(incident).default([]),
});

function latest(updates: z.infer<typeof update>[]) {
  const u = updates[0];
  return u ? { latestUpdate: { body: u.body, at: u.display_at ?? u.created_at ?? '' } } : {};
}

const MAINTENANCE_STATUS: Record<string, StatusMaintenance['status']> = {
  scheduled: 'scheduled',
  in_progress: 'in_progress',
  verifying: 'verifying',
  completed: 'completed',
};

/** GitHub lists "Visit www.githubstatus.com for more information" as a component; it is a link, not a service. */
const PLACEHOLDER = /^visit .+ for more information$/i;

export const atlassian: StatusProvider = {
  kind: 'atlassian',
  urls: (ref) => [ref.url],
  parse([body], ctx) {
    const parsed = summary.safeParse(parseJson(body ?? '', 'Statuspage summary'));
    if (!parsed.success) throw new PayloadError(`Statuspage summary has an unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'root'})`);
    const s = parsed.data;
    const groups = new Map(s.components.filter((c) => c.group).map((c) => [c.id, c.name]));
    const report: StatusReport = {
      provider: 'atlassian',
      page: s.page.url || ctx.page,
      indicator: s.status.indicator as Impact,
      description: s.status.description,
      // A group row only summarises its children; the children carry the facts.
      components: s.components
        .filter((c) => !c.group && !PLACEHOLDER.test(c.name))
        .map((c) => ({
          name: c.name,
          status: c.status as ComponentStatus,
          ...(c.group_id && groups.has(c.group_id) ? { group: groups.get(c.group_id)! } : {}),
        })),
      incidents: s.incidents.map((i) => ({
        name: i.name,
        status: i.status,
        impact: i.impact as Impact,
        ...(i.shortlink ? { url: i.shortlink } : {}),
        ...latest(i.incident_updates),
        components: (i.components ?? []).map((c) => c.name),
        ...((i.started_at ?? i.created_at) ? { startedAt: (i.started_at ?? i.created_at)! } : {}),
      })),
      maintenances: s.scheduled_maintenances.map((m) => ({
        name: m.name,
        status: MAINTENANCE_STATUS[m.status] ?? 'scheduled',
        ...(m.scheduled_for ? { scheduledFor: m.scheduled_for } : {}),
        ...(m.scheduled_until ? { scheduledUntil: m.scheduled_until } : {}),
        components: (m.components ?? []).map((c) => c.name),
      })),
    };
    return report;
  },
};
