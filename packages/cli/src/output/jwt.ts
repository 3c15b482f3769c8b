/** A JWT's readable parts. The signature is never checked and never kept. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  /** The claims, or `undefined` for an encrypted JWT (JWE), whose payload cannot be read. */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

function part(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined || !/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Decodes a compact JWS (three parts) or reads a JWE's header (five parts); `undefined` for anything else. */
export function decodeJwt(value: unknown): DecodedJwt | undefined {
  if (typeof value !== 'string') return undefined;
  const segments = value.split('.');
  const header = part(segments[0]);
  if (header === undefined) return undefined;
  if (segments.length === 5) return { header, claims: undefined };
  if (segments.length !== 3) return undefined;
  const claims = part(segments[1]);
  return claims === undefined ? undefined : { header, claims };
}
