/** The benchmark's fake status pages: seven in ten are Statuspage, two incident.io, one a feed (about the catalog's mix). */
export function pageOf(i: number): { kind: 'atlassian' | 'incidentio' | 'feed'; path: string } {
  const k = i % 10;
  if (k < 7) return { kind: 'atlassian', path: `/p${i}/api/v2/summary.json` };
  if (k < 9) return { kind: 'incidentio', path: `/p${i}/api/v1/summary` };
  return { kind: 'feed', path: `/p${i}/history.atom` };
}
