import type { Resolution } from '../core/types.ts';
import { checkUrl, type AddressPolicy } from './ssrf.ts';

/** A host or URL the catalog does not know, checked as typed (after the SSRF guard). */
export function adhocTarget(input: string, policy: AddressPolicy): Resolution {
  const checked = checkUrl(input, policy);
  if (!checked.ok) return { ok: false, message: checked.refusal.message };
  const url = checked.url;
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  const bareHome = url.pathname === '/' && !url.search && !url.port;
  const name = bareHome ? host : `${host}${url.port ? `:${url.port}` : ''}${url.pathname === '/' ? '' : url.pathname}`;
  return { ok: true, target: { kind: 'adhoc', id: bareHome ? host : url.href, name, urls: [url.href] } };
}
