import type { ParamValue } from './options.js';

/** Joins key parts unambiguously: each part is percent-encoded, so `:` only separates. */
export function joinKey(...parts: readonly (string | undefined)[]): string {
  return parts.map((part) => encodeURIComponent(part ?? '')).join(':');
}

/** A scope/audience/resource value in a canonical order, so `a b` and `b a` share a token. */
export function canonical(value: ParamValue | undefined, separator: string): string | undefined {
  if (value === undefined) return undefined;
  const items = typeof value === 'string' ? value.split(' ').filter(Boolean) : [...value];
  return [...new Set(items)].sort().join(separator);
}

/** A scope as the space-delimited string the token endpoint expects. */
export function scopeParam(value: ParamValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  const joined = typeof value === 'string' ? value.trim() : value.join(' ');
  return joined === '' ? undefined : joined;
}
