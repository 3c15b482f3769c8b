import { AuthenticationError } from '../errors.js';
import { redact } from '../redact.js';

/** The OAuth error fields of an error body (RFC 6749 §5.2), read leniently. */
export interface OAuthErrorFields {
  readonly error?: string | undefined;
  readonly errorDescription?: string | undefined;
}

const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
const MAX_DESCRIPTION = 300;

function clean(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads `error` / `error_description` from a parsed body or a `WWW-Authenticate` header. */
export function readOAuthError(
  fields: Record<string, unknown> | undefined,
  wwwAuthenticate?: string | null,
): OAuthErrorFields {
  let error = clean(fields?.error);
  let errorDescription = clean(fields?.error_description);
  if (error === undefined && wwwAuthenticate) {
    // A 401 with only a challenge: `Basic error="invalid_client", error_description="…"`.
    error = /\berror="([^"]*)"/i.exec(wwwAuthenticate)?.[1];
    errorDescription ??= /\berror_description="([^"]*)"/i.exec(wwwAuthenticate)?.[1];
  }
  if (error !== undefined && !ERROR_CODE.test(error)) error = 'invalid_response';
  return { error, errorDescription };
}

const HINTS: Readonly<Record<string, string>> = {
  invalid_client:
    'Check the client id, the client secret or key, and the client authentication method registered for this client.',
  invalid_grant:
    'The grant (refresh token, authorization code, credentials or assertion) is invalid, expired or revoked: obtain a new one.',
  invalid_scope: 'Request only scopes (and audiences/resources) the client is allowed.',
  unauthorized_client: 'Allow this grant type for the client on the authorization server.',
  unsupported_grant_type: 'The authorization server does not support this grant type.',
  invalid_request: 'The request is missing or repeats a parameter; check the provider options.',
  invalid_target: 'Request an audience or resource the authorization server knows.',
};

/**
 * Turns a refused token request into an {@link AuthenticationError}: the
 * OAuth `error` code, the status, and a redacted, shortened description.
 */
export function authenticationError(
  serviceName: string,
  status: number | undefined,
  fields: OAuthErrorFields,
  secrets: readonly (string | undefined)[],
  what = 'was refused',
): AuthenticationError {
  const description =
    fields.errorDescription === undefined
      ? undefined
      : redact(fields.errorDescription, secrets).slice(0, MAX_DESCRIPTION);
  const code = fields.error;
  const detail = [
    status === undefined ? undefined : `HTTP ${status}`,
    code,
    description && `"${description}"`,
  ]
    .filter(Boolean)
    .join(' ');
  const hint =
    (code && HINTS[code]) ??
    'Check the provider options (client credentials, token endpoint, grant parameters).';
  return new AuthenticationError(
    `Token request for "${serviceName}" ${what}${detail ? ` (${detail})` : ''}. ${hint}`,
    { serviceName, status, error: code, errorDescription: description },
  );
}
