import type { Authorization } from '../authorizer.js';

/**
 * Request or response headers in any client's form: a fetch `Headers`, an
 * object with `toJSON()` (axios's `AxiosHeaders`), or a plain record whose
 * values are strings or arrays of strings (Node, got).
 */
export type HeaderSource =
  | Headers
  | { toJSON(asStrings?: boolean): Readonly<Record<string, unknown>> }
  | Readonly<Record<string, unknown>>
  | null
  | undefined;

/**
 * Headers an adapter can change: a fetch `Headers`, an object with
 * `get`/`set`/`delete` (axios's `AxiosHeaders`), or a plain record.
 */
export type HeaderTarget =
  | Headers
  | {
      get(name: string): unknown;
      set(name: string, value: string): unknown;
      delete(name: string): unknown;
    }
  | Record<string, unknown>;

type Methods = Exclude<HeaderTarget, Record<string, unknown>>;

function hasMethods(target: HeaderTarget): target is Methods {
  return typeof (target as Partial<Methods>).set === 'function';
}

/** The string headers of `source`, names in lower case (arrays joined with `, `). */
export function headerRecord(source: HeaderSource): Record<string, string> {
  const record: Record<string, string> = {};
  if (source === null || source === undefined) return record;
  // Another fetch implementation's Headers (undici's own) is no global Headers.
  if (
    (typeof Headers !== 'undefined' && source instanceof Headers) ||
    (typeof (source as Headers).forEach === 'function' &&
      typeof (source as Headers).get === 'function')
  ) {
    (source as Headers).forEach((value, name) => {
      record[name] = value;
    });
    return record;
  }
  // axios's headers hold each header as an own property, as toJSON(true)
  // would list it once null and false are dropped: reading them directly
  // saves a copy on every request.
  const plain =
    typeof (source as { toJSON?: unknown }).toJSON === 'function' &&
    (source as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] !== 'AxiosHeaders'
      ? (source as { toJSON(asStrings?: boolean): Readonly<Record<string, unknown>> }).toJSON(true)
      : (source as Readonly<Record<string, unknown>>);
  for (const name of Object.keys(plain)) {
    const value = plain[name];
    if (typeof value === 'string') record[name.toLowerCase()] = value;
    else if (Array.isArray(value)) record[name.toLowerCase()] = value.join(', ');
  }
  return record;
}

/** Sets an authorization's headers on `target` (nothing for `undefined`). */
export function setCredentials(
  target: HeaderTarget,
  authorization: Authorization | undefined,
): void {
  if (authorization === undefined) return;
  const { headers } = authorization;
  if (hasMethods(target)) {
    for (const name in headers) target.set(name, headers[name] as string);
    return;
  }
  const record = target as Record<string, unknown>;
  for (const name in headers) {
    // A record may hold the same header under another case: one copy only.
    for (const held in record) {
      if (held !== name && held.toLowerCase() === name) delete record[held];
    }
    record[name] = headers[name];
  }
}

/**
 * Removes the headers an authorization set, where they still hold its values:
 * a header the caller set to something else stays theirs.
 */
export function removeCredentials(
  target: HeaderTarget,
  authorization: Authorization | undefined,
): void {
  if (authorization === undefined) return;
  const { headers } = authorization;
  if (hasMethods(target)) {
    for (const name in headers) {
      if (target.get(name) === headers[name]) target.delete(name);
    }
    return;
  }
  const record = target as Record<string, unknown>;
  for (const held in record) {
    const ours = headers[held.toLowerCase()];
    if (ours !== undefined && record[held] === ours) delete record[held];
  }
}

/** Looks up single headers of `source` by lower-case name, without copying them all. */
export function headerLookup(source: HeaderSource): { get(name: string): string | null } {
  return {
    get(name) {
      if (source === null || source === undefined) return null;
      if (typeof (source as { get?: unknown }).get === 'function') {
        const value = (source as { get(name: string): unknown }).get(name);
        return typeof value === 'string' ? value : null;
      }
      const record = source as Readonly<Record<string, unknown>>;
      const value =
        record[name] ??
        record[Object.keys(record).find((held) => held.toLowerCase() === name) ?? ''];
      if (typeof value === 'string') return value;
      return Array.isArray(value) ? value.join(', ') : null;
    },
  };
}
