import type { Resolution } from '../core/types.ts';
import { checkUrl, type AddressPolicy } from './ssrf.ts';

/** A host or URL the catalog does not know, checked as typed (after the SSRF guard). */
export function adhocTarget(input: string, policy: AddressPolicy): Resolution {
  const checked = checkUrl(input, policy);
  if (!checked.ok) return { ok: false, message: checked.refusal.message };
  const url = checked.url;
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  // DNS's own limits, refused here rather than sent to a resolver.
  if (host.length > 253) return { ok: false, message: `That host name is ${host.length} characters long; DNS allows at most 253.` };
  if (!host.startsWith('[') && host.split('.').some((label) => label.length > 63)) return { ok: false, message: 'A part of that host name is over 63 characters, which DNS does not allow.' };
  if (url.protocol === 'tcp:') {
    // Its own id: a TCP watch of host:443 is not the website at host:443.
    const name = `tcp://${host}:${url.port}`;
    return { ok: true, target: { kind: 'adhoc', id: name, name, urls: [name] } };
  }
  const name = `${host}${url.port ? `:${url.port}` : ''}${url.pathname === '/' ? '' : url.pathname}${url.search}`;
  // The id leaves out the scheme, so "watch http://x:8080/" and "history x:8080" meet; buttons
  // carry the full URL instead (actionTarget), so a re-check checks exactly the same thing.
  return { ok: true, target: { kind: 'adhoc', id: name, name, urls: [url.href] } };
}
