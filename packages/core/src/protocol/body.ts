/**
 * Reads a token endpoint body as a flat object: JSON (whatever the
 * content type claims, as long as it is a JSON object) or
 * `application/x-www-form-urlencoded` (GitHub and older servers answer so).
 * Returns `undefined` for anything else: HTML, plain text, empty, JSON arrays.
 *
 * @example
 * ```ts
 * parseBody('access_token=abc&expires_in=60', 'application/x-www-form-urlencoded');
 * // { access_token: 'abc', expires_in: '60' }
 * ```
 */
export function parseBody(
  text: string,
  contentType: string | null | undefined,
): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const type = (contentType ?? '').toLowerCase();
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return value as Record<string, unknown>;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  const looksLikeForm = /^[A-Za-z0-9_.~%+-]+=[^<>\s]*(&[A-Za-z0-9_.~%+-]+=[^<>\s]*)*$/.test(
    trimmed,
  );
  if (
    type.includes('application/x-www-form-urlencoded') ||
    (looksLikeForm && !type.includes('json'))
  ) {
    if (!looksLikeForm) return undefined;
    const fields: Record<string, unknown> = {};
    for (const [name, value] of new URLSearchParams(trimmed)) fields[name] = value;
    return fields;
  }
  return undefined;
}
