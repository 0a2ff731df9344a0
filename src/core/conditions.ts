/**
 * Conditions on an HTTP watch beyond its status codes and text (Gatus-like): the method, headers
 * whose values come from the operator's environment, a JSON body condition and a response-time
 * limit. Kept as normalised text in the monitor's record ("X-Api-Key: $ISDOWN_HEADER_KEY",
 * "$.status == UP"), so records stay plain data and two channels asking the same share a monitor.
 */

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof METHODS)[number];

/**
 * Header values are never typed in chat: they name an environment variable, and only variables
 * the operator set aside for this (ISDOWN_HEADER_…) may be named. Otherwise anyone in a channel
 * could send the bot's own tokens to an address of their choosing.
 */
export const HEADER_ENV_PREFIX = 'ISDOWN_HEADER_';
export const MAX_HEADERS = 5;

export interface HeaderFromEnv {
  readonly name: string;
  readonly env: string;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
// Set by the HTTP client or by the connection itself; a watch cannot change them.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-authorization', 'expect']);

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** "X-Api-Key: $ISDOWN_HEADER_KEY" (also "${…}" and "X-Api-Key=$…"). */
export function parseHeader(text: string): Parsed<HeaderFromEnv> {
  const t = text.trim();
  const sep = t.search(/[:=]/);
  if (sep <= 0) return { ok: false, error: `"${t.slice(0, 80)}" is not a header; write it as "Name: $${HEADER_ENV_PREFIX}SOMETHING".` };
  const name = t.slice(0, sep).trim();
  let ref = t.slice(sep + 1).trim();
  if (!HEADER_NAME.test(name)) return { ok: false, error: `"${name.slice(0, 80)}" is not a header name.` };
  if (RESERVED_HEADERS.has(name.toLowerCase())) return { ok: false, error: `The ${name} header is set by the connection; a watch cannot set it.` };
  if (ref.startsWith('${') && ref.endsWith('}')) ref = `$${ref.slice(2, -1)}`;
  if (!ref.startsWith('$') || !ENV_NAME.test(ref.slice(1))) {
    return { ok: false, error: `A header's value is never typed in chat: name an environment variable the operator set, like "${name}: $${headerEnvFor(name)}".` };
  }
  const env = ref.slice(1);
  if (!env.startsWith(HEADER_ENV_PREFIX) || env.length === HEADER_ENV_PREFIX.length) {
    return { ok: false, error: `Only variables named ${HEADER_ENV_PREFIX}… can fill a header (the operator sets them aside for this); "${env}" is not one.` };
  }
  return { ok: true, value: { name, env } };
}

/** The variable a header's value would be kept in: X-Api-Key → ISDOWN_HEADER_X_API_KEY. */
export function headerEnvFor(header: string): string {
  return `${HEADER_ENV_PREFIX}${header.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'VALUE'}`;
}

export function formatHeader(h: HeaderFromEnv): string {
  return `${h.name}: $${h.env}`;
}

export const JSON_OPS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type JsonOp = (typeof JSON_OPS)[number];

export type PathStep = string | number;

export interface JsonCondition {
  readonly path: readonly PathStep[];
  readonly pathText: string;
  readonly op: JsonOp;
  readonly value: string;
}

const MAX_PATH_STEPS = 32;
export const MAX_CONDITION_LENGTH = 200;

/** "$.status == UP", "$.checks[0].ok == true", "$.queue.depth < 100". */
export function parseJsonCondition(text: string): Parsed<JsonCondition> {
  const t = text.trim();
  if (t.length > MAX_CONDITION_LENGTH) return { ok: false, error: `A JSON condition is at most ${MAX_CONDITION_LENGTH} characters.` };
  // The first operator outside brackets and quotes splits the condition: a single forward scan.
  let at = -1;
  let op: JsonOp | undefined;
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < t.length && at < 0; i++) {
    const c = t[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (depth === 0) {
      for (const candidate of JSON_OPS) {
        if (t.startsWith(candidate, i)) {
          at = i;
          op = candidate;
          break;
        }
      }
    }
  }
  if (at < 0 || !op) return { ok: false, error: `"${t.slice(0, 80)}" needs a comparison, like "$.status == UP" (==, !=, <, <=, >, >=).` };
  const path = parsePath(t.slice(0, at).trim());
  if (!path.ok) return path;
  let value = t.slice(at + op.length).trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
  if (!value) return { ok: false, error: `"${t.slice(0, 80)}" compares with nothing; put a value after ${op}.` };
  if ((op === '<' || op === '<=' || op === '>' || op === '>=') && !Number.isFinite(Number(value))) {
    return { ok: false, error: `${op} compares numbers; "${value.slice(0, 40)}" is not one.` };
  }
  return { ok: true, value: { path: path.value, pathText: formatPath(path.value), op, value } };
}

/** A JSONPath subset, read in one pass: $ then .name, ["name"] or [index]. */
export function parsePath(text: string): Parsed<PathStep[]> {
  if (!text.startsWith('$')) return { ok: false, error: `A JSON path starts with $, like $.status; "${text.slice(0, 40)}" does not.` };
  const steps: PathStep[] = [];
  let i = 1;
  while (i < text.length) {
    if (steps.length >= MAX_PATH_STEPS) return { ok: false, error: `A JSON path has at most ${MAX_PATH_STEPS} steps.` };
    const c = text[i]!;
    if (c === '.') {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_$-]/.test(text[j]!)) j++;
      if (j === i + 1) return { ok: false, error: `"${text.slice(0, 60)}": a name is missing after "." at position ${i + 1}.` };
      steps.push(text.slice(i + 1, j));
      i = j;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return { ok: false, error: `"${text.slice(0, 60)}": a "[" is not closed.` };
      const inner = text.slice(i + 1, close).trim();
      if (/^\d{1,6}$/.test(inner)) steps.push(Number(inner));
      else if (inner.length >= 2 && (inner[0] === '"' || inner[0] === "'") && inner.endsWith(inner[0]!)) steps.push(inner.slice(1, -1));
      else return { ok: false, error: `"${text.slice(0, 60)}": [${inner.slice(0, 20)}] is neither an index nor a quoted name.` };
      i = close + 1;
    } else return { ok: false, error: `"${text.slice(0, 60)}": unexpected "${c}" at position ${i + 1}.` };
  }
  return { ok: true, value: steps };
}

export function formatPath(path: readonly PathStep[]): string {
  return `$${path.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s) ? `.${s}` : `["${s}"]`)).join('')}`;
}

export function formatJsonCondition(c: JsonCondition): string {
  return `${c.pathText} ${c.op} ${c.value}`;
}

/** Why the condition failed on this document, or null when it holds. */
export function failedJsonCondition(doc: unknown, c: JsonCondition): string | null {
  let at: unknown = doc;
  for (const step of c.path) {
    if (typeof step === 'number' ? !Array.isArray(at) || step >= at.length : at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, step)) {
      return `the answer has no ${c.pathText}`;
    }
    at = (at as Record<string | number, unknown>)[step];
  }
  const shown = typeof at === 'string' ? `"${at.slice(0, 60)}"` : at !== null && typeof at === 'object' ? (Array.isArray(at) ? 'a list' : 'an object') : String(at);
  let holds: boolean;
  if (c.op === '==' || c.op === '!=') {
    const same = at !== null && typeof at === 'object' ? false : String(at) === c.value;
    holds = c.op === '==' ? same : !same;
  } else {
    const n = typeof at === 'number' ? at : typeof at === 'string' && at.trim() !== '' ? Number(at) : NaN;
    const v = Number(c.value);
    holds = Number.isFinite(n) && (c.op === '<' ? n < v : c.op === '<=' ? n <= v : c.op === '>' ? n > v : n >= v);
  }
  return holds ? null : `${c.pathText} is ${shown}, not ${c.op} ${c.value}`;
}
