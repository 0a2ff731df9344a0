import type { Resolution } from '../core/types.ts';
import { checkUrl, type AddressPolicy } from './ssrf.ts';

/** A host or URL the catalog does not know, checked as typed (after the SSRF guard). */
export function adhocTarget(input: string, policy: AddressPolicy): Resolution {
  const checked = checkUrl(input, policy);
  if (!checked.ok) return { ok: false, message: checked.refusal.message };
  const url = checked.url;
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  const name = `${host}${url.port ? `:${url.port}` : ''}${url.pathname === '/' ? '' : url.pathname}${url.search}`;
  // The id leaves out the scheme, so "watch http://x:8080/" and "history x:8080" meet; buttons
  // carry the full URL instead (actionTarget), so a re-check checks exactly the same thing.
  return { ok: true, target: { kind: 'adhoc', id: name, name, urls: [url.href] } };
}
