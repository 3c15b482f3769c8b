import { AuthenticationError, redact, redactUrl, TokenEndpointError } from '@forge/core';
import { parseForm } from '../encoding/form.js';

/** What the provider answered, parsed leniently (form-encoded, or JSON from a few providers). */
export function parseCredentialsBody(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const json: unknown = JSON.parse(trimmed);
      if (json && typeof json === 'object') {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(json)) {
          if (
            typeof value === 'string' ||
            typeof value === 'number' ||
            typeof value === 'boolean'
          ) {
            out[name] = String(value);
          }
        }
        return out;
      }
    } catch {
      // Not JSON after all: read it as a form.
    }
  }
  return Object.fromEntries(parseForm(trimmed));
}

/** `oauth_problem` from the body or the `WWW-Authenticate` header (OAuth Problem Reporting). */
function problemOf(fields: Record<string, string>, response: Response): string | undefined {
  if (fields.oauth_problem) return fields.oauth_problem;
  const header = response.headers.get('www-authenticate') ?? '';
  return /oauth_problem="?([^",\s]+)/i.exec(header)?.[1];
}

/**
 * Turns a non-2xx answer of a credentials endpoint into a typed error:
 * 429 and 5xx are transient (`TokenEndpointError`), everything else is an
 * `AuthenticationError` carrying `oauth_problem` when the provider sent one.
 */
export function endpointError(
  serviceName: string,
  step: string,
  url: string,
  response: Response,
  fields: Record<string, string>,
  secrets: readonly (string | undefined)[],
): Error {
  const where = `${step} at ${redactUrl(url)}`;
  if (response.status === 429 || response.status >= 500) {
    return new TokenEndpointError(
      `${where} answered HTTP ${response.status}; the provider is unavailable or rate limiting, try again later`,
      {
        serviceName,
        status: response.status,
        reason: response.status === 429 ? 'rate-limited' : 'server',
        package: 'oauth1',
      },
    );
  }
  const problem = problemOf(fields, response);
  const advice = fields.oauth_problem_advice;
  const detail = problem ? ` (oauth_problem=${redact(problem, secrets)})` : '';
  return new AuthenticationError(
    `${where} was refused with HTTP ${response.status}${detail}; check the consumer key and secret, the signature method, the clock (timestamp) and the token`,
    {
      serviceName,
      status: response.status,
      error: problem,
      errorDescription: advice === undefined ? undefined : redact(advice, secrets),
      package: 'oauth1',
    },
  );
}
