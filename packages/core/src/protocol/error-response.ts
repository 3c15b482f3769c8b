import { AuthenticationError } from '../errors.js';
import { redact } from '../redact.js';

/** The OAuth error fields of an error body (RFC 6749 §5.2), read leniently. */
export interface OAuthErrorFields {
  readonly error?: string | undefined;
  readonly errorDescription?: string | undefined;
}

// RFC 6749 §5.2: error = 1*NQSCHAR, NQSCHAR = %x20-21 / %x23-5B / %x5D-7E.
// Registered codes are short snake_case words; 64 leaves room for vendor codes
// but not for an echoed credential or request.
const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
/** What replaces an `error` code that is malformed or carries a secret. */
const INVALID_ERROR_CODE = 'invalid_response';
const MAX_DESCRIPTION = 300;
// C0 controls, DEL, C1 controls and Unicode line breaks: they would forge lines in a log.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g;

function clean(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads `error` / `error_description` from a parsed body or a `WWW-Authenticate` header. */
export function readOAuthError(
  fields: Record<string, unknown> | undefined,
  wwwAuthenticate?: string | null,
): OAuthErrorFields {
  const raw = fields?.error;
  let error = clean(raw);
  let errorDescription = clean(fields?.error_description);
  if (error === undefined && raw !== undefined && raw !== null && raw !== '') {
    // An `error` that is there but not a string (`{"error": {...}}`) is still a refusal.
    error = INVALID_ERROR_CODE;
  }
  if (error === undefined && wwwAuthenticate) {
    // A 401 with only a challenge: `Basic error="invalid_client", error_description="…"`.
    error = /\berror="([^"]*)"/i.exec(wwwAuthenticate)?.[1];
    errorDescription ??= /\berror_description="([^"]*)"/i.exec(wwwAuthenticate)?.[1];
  }
  if (error !== undefined && !ERROR_CODE.test(error)) error = INVALID_ERROR_CODE;
  return { error, errorDescription };
}

/**
 * The `error` code as it may be shown: a code that carries a secret (the
 * request's own, or anything {@link redact} recognizes) becomes the fixed
 * placeholder, because half a code helps nobody and the rest may still be a
 * credential.
 */
function safeCode(
  code: string | undefined,
  secrets: readonly (string | undefined)[],
): string | undefined {
  if (code === undefined) return undefined;
  if (!ERROR_CODE.test(code) || redact(code, secrets) !== code) return INVALID_ERROR_CODE;
  return code;
}

function safeDescription(
  description: string | undefined,
  secrets: readonly (string | undefined)[],
): string | undefined {
  if (description === undefined) return undefined;
  const text = redact(description.replace(CONTROL, ' '), secrets).slice(0, MAX_DESCRIPTION).trim();
  return text === '' ? undefined : text;
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
 * OAuth `error` code (or `invalid_response` when it is malformed or carries a
 * secret), the status, and a redacted, shortened description without control
 * characters.
 */
export function authenticationError(
  serviceName: string,
  status: number | undefined,
  fields: OAuthErrorFields,
  secrets: readonly (string | undefined)[],
  what = 'was refused',
): AuthenticationError {
  const description = safeDescription(fields.errorDescription, secrets);
  const code = safeCode(fields.error, secrets);
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
