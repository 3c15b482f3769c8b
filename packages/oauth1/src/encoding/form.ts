/** A name/value pair, decoded. Order and duplicates matter in OAuth 1. */
export type Parameter = readonly [name: string, value: string];

/**
 * Decodes an `application/x-www-form-urlencoded` string (a query or a form
 * body) into pairs, keeping duplicates and empty values, and decoding `+` as
 * a space as RFC 5849 §3.4.1.3.1 requires.
 *
 * @example
 * ```ts
 * parseForm('a3=2+q&c2'); // [['a3', '2 q'], ['c2', '']]
 * ```
 */
export function parseForm(text: string): Parameter[] {
  const source = text.startsWith('?') ? text.slice(1) : text;
  if (source === '') return [];
  return [...new URLSearchParams(source)];
}

/**
 * Serializes pairs as `application/x-www-form-urlencoded` with RFC 3986
 * percent-encoding, so a server decodes exactly the values that were signed.
 */
export function serializeForm(
  parameters: Iterable<Parameter>,
  encode: (v: string) => string,
): string {
  const parts: string[] = [];
  for (const [name, value] of parameters) parts.push(`${encode(name)}=${encode(value)}`);
  return parts.join('&');
}
