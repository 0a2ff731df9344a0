/**
 * A URL fit for a log line or an error message: the password hidden. The user part runs to the
 * last "@" before any query or fragment, so an unencoded "@" or "/" inside a password does not
 * leak what follows it (hiding a little too much is the safe way to be wrong).
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const end = rest.search(/[?#]/);
  const head = end === -1 ? rest : rest.slice(0, end);
  const at = head.lastIndexOf('@');
  if (at === -1) return url;
  const userinfo = head.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  // A lone user part ("redis://TOKEN@host") is as secret as a password.
  if (colon === -1 || user.includes('/')) return `${scheme}***${rest.slice(at)}`;
  return `${scheme}${user}:***${rest.slice(at)}`;
}
