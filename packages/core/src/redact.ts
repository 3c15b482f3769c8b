/** What replaces a secret in redacted text. */
export const REDACTED = '[REDACTED]';

const SECRET_NAMES =
  'access_token|refresh_token|id_token|accessToken|refreshToken|idToken|client_secret|client_assertion|assertion|subject_token|actor_token|password|code_verifier|code|oauth_token_secret|oauth_signature|token|secret|api_key|apikey';

// `name=value` in query strings and form bodies, `"name": "value"` in JSON,
// `name: value` in header-like text; names are matched case-insensitively.
// A name counts wherever it is not the tail of a longer identifier (`error_code=` is not `code=`).
const FORM_PAIR = new RegExp(
  `((?<![A-Za-z0-9_.-])(?:${SECRET_NAMES})=)[^&\\s;,"'<>(){}[\\]|]+`,
  'gi',
);
const JSON_PAIR = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*(")`, 'gi');
const AUTH_SCHEME = /\b(Bearer|Basic|DPoP|MAC|OAuth)\s+[A-Za-z0-9._~+/=:,"\\-]+/g;
const AUTH_HEADER =
  /(authorization|proxy-authorization|cookie|set-cookie|x-api-key)(["']?\s*[:=]\s*["']?)[^"'\r\n]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi;

/**
 * Removes secrets from text meant for an error message, an event or a log
 * line: bearer and basic credentials, JWTs, `Authorization` and cookie
 * headers, URL user-info, and the values of OAuth secret parameters in query
 * strings, form bodies and JSON. Values listed in `secrets` are removed
 * wherever they appear. Every Forge package routes such text through here.
 *
 * @example
 * ```ts
 * redact('POST /token client_secret=s3cr3t&grant_type=client_credentials');
 * // 'POST /token client_secret=[REDACTED]&grant_type=client_credentials'
 * redact(`failed for ${url}`, [clientSecret]);
 * ```
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = String(text);
  for (const secret of secrets) {
    // Very short values would redact ordinary words; they are not secrets worth the noise.
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(JSON_PAIR, `$1${REDACTED}$2`)
    .replace(AUTH_HEADER, `$1$2${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(FORM_PAIR, `$1${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`);
}

/**
 * Returns a URL that is safe to show: without user-info, and with the values
 * of secret query parameters (`access_token`, `code`, `client_secret`, …)
 * replaced. Invalid input is redacted as text.
 *
 * @example
 * ```ts
 * redactUrl('https://u:p@api.example/cb?code=abc&state=xyz');
 * // 'https://api.example/cb?code=%5BREDACTED%5D&state=xyz'
 * ```
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redact(url);
  }
  parsed.username = '';
  parsed.password = '';
  const secretName = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');
  redactParams(parsed.searchParams, (name) => secretName.test(name));
  return parsed.toString();
}

function redactParams(params: URLSearchParams, isSensitive: (name: string) => boolean): void {
  for (const name of new Set(params.keys())) {
    if (isSensitive(name)) params.set(name, REDACTED);
  }
}

/**
 * The names whose values are always secrets, in headers, query strings and
 * bodies: credential headers and OAuth parameters. Matched case-insensitively.
 */
export const SENSITIVE_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'dpop',
  ...SECRET_NAMES.split('|'),
]);

/**
 * Redaction by name, for structured data (log lines): every name of
 * {@link SENSITIVE_KEYS} and the caller's own. Built once, used per line.
 *
 * @example
 * ```ts
 * const redactor = createRedactor(['x-session']);
 * redactor.url('https://api.example/cb?code=abc&state=1'); // 'https://api.example/cb?code=[REDACTED]&state=1'
 * redactor.headers({ authorization: 'Bearer abc', 'x-session': 's' }); // both [REDACTED]
 * redactor.body('{"password":"p","user":"u"}', 'application/json'); // { password: '[REDACTED]', user: 'u' }
 * ```
 */
export interface Redactor {
  /** Whether a header, parameter or property of this name holds a secret. */
  isSensitive(name: string): boolean;
  /** A URL without user-info, secret query or fragment parameters (the marker left readable). */
  url(url: string): string;
  /** Headers (lower-case names) with sensitive ones replaced and the rest redacted as text. */
  headers(
    headers: Readonly<Record<string, string>>,
    secrets?: readonly string[],
  ): Record<string, string>;
  /**
   * A body as it may be logged: JSON (text or values) and forms with sensitive
   * properties replaced, other text redacted as text, bytes decoded only when
   * `contentType` says text, streams and blobs named but not read; long text cut.
   */
  body(body: unknown, contentType: string | undefined, secrets?: readonly string[]): unknown;
  /** Text redacted like {@link redact}, and the caller's own names in `name=value` and JSON pairs. */
  text(text: string, secrets?: readonly string[]): string;
}

/** Longest body text a log line carries. */
export const MAX_LOGGED_BODY = 4096;
const MAX_DEPTH = 8;
const MARKER_ENCODED = /%5BREDACTED%5D/g;
const TEXT_TYPE = /json|text\/|x-www-form-urlencoded|xml|javascript|graphql/i;
const FORM_TYPE = /x-www-form-urlencoded/i;

/** Whether a content type names text (JSON, forms, XML, `text/*`): a body worth decoding for a log. */
export function isTextType(contentType: string): boolean {
  return TEXT_TYPE.test(contentType);
}

function escapeName(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function cut(text: string): string {
  return text.length <= MAX_LOGGED_BODY
    ? text
    : `${text.slice(0, MAX_LOGGED_BODY)}… (${text.length} chars)`;
}

function opaque(body: object): string | undefined {
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return '[stream]';
  if (typeof Blob !== 'undefined' && body instanceof Blob) return `[blob ${body.size} bytes]`;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return '[form-data]';
  const candidate = body as { pipe?: unknown; [Symbol.asyncIterator]?: unknown };
  if (
    typeof candidate.pipe === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function'
  ) {
    return '[stream]';
  }
  return undefined;
}

/**
 * A {@link Redactor} for {@link SENSITIVE_KEYS} and `extraKeys`.
 *
 * @example
 * ```ts
 * const redactor = createRedactor(['x-tenant-secret']);
 * logger.info({ url: redactor.url(url) }, 'sent');
 * ```
 */
export function createRedactor(extraKeys: readonly string[] = []): Redactor {
  const names = new Set([...SENSITIVE_KEYS, ...extraKeys].map((name) => name.toLowerCase()));
  const isSensitive = (name: string): boolean => names.has(name.toLowerCase());
  const extra = extraKeys.filter((name) => !SENSITIVE_KEYS.includes(name.toLowerCase()));
  const own = extra.length === 0 ? undefined : extra.map(escapeName).join('|');
  const ownForm =
    own === undefined
      ? undefined
      : new RegExp(`((?<![A-Za-z0-9_.-])(?:${own})=)[^&\\s;,"'<>(){}[\\]|]+`, 'gi');
  const ownJson =
    own === undefined
      ? undefined
      : new RegExp(`("(?:${own})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*(")`, 'gi');

  const text = (value: string, secrets: readonly string[] = []): string => {
    let out = redact(value, secrets);
    if (ownForm !== undefined && ownJson !== undefined) {
      out = out.replace(ownJson, `$1${REDACTED}$2`).replace(ownForm, `$1${REDACTED}`);
    }
    return out;
  };

  const form = (params: URLSearchParams, secrets: readonly string[]): string => {
    const copy = new URLSearchParams();
    for (const [name, value] of params) {
      copy.append(name, isSensitive(name) ? REDACTED : text(value, secrets));
    }
    return copy.toString().replace(MARKER_ENCODED, REDACTED);
  };

  const walk = (value: unknown, secrets: readonly string[], depth: number): unknown => {
    if (typeof value === 'string') return text(value, secrets);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) return '[…]';
    if (Array.isArray(value)) return value.map((item) => walk(item, secrets, depth + 1));
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(value)) {
      out[name] = isSensitive(name)
        ? REDACTED
        : walk((value as Record<string, unknown>)[name], secrets, depth + 1);
    }
    return out;
  };

  const structured = (value: unknown, secrets: readonly string[]): unknown => {
    const walked = walk(value, secrets, 0);
    const json = JSON.stringify(walked) ?? '';
    return json.length > MAX_LOGGED_BODY ? cut(json) : walked;
  };

  const textBody = (body: string, type: string, secrets: readonly string[]): unknown => {
    if (FORM_TYPE.test(type)) return cut(form(new URLSearchParams(body), secrets));
    const first = body.trimStart()[0];
    if (type.includes('json') || first === '{' || first === '[') {
      try {
        return structured(JSON.parse(body), secrets);
      } catch {
        // Not JSON after all: redacted as text below.
      }
    }
    return cut(text(body, secrets));
  };

  return {
    isSensitive,
    text,
    url(url) {
      if (!url.includes('?') && !url.includes('#') && !url.includes('@')) return url;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return text(url);
      }
      parsed.username = '';
      parsed.password = '';
      redactParams(parsed.searchParams, isSensitive);
      if (parsed.hash.includes('=')) {
        const fragment = new URLSearchParams(parsed.hash.slice(1));
        redactParams(fragment, isSensitive);
        parsed.hash = fragment.toString();
      }
      return parsed.toString().replace(MARKER_ENCODED, REDACTED);
    },
    headers(headers, secrets = []) {
      const out: Record<string, string> = {};
      for (const name in headers) {
        out[name] = isSensitive(name) ? REDACTED : text(headers[name] as string, secrets);
      }
      return out;
    },
    body(body, contentType, secrets = []) {
      if (body === undefined || body === null) return undefined;
      const type = contentType ?? '';
      if (typeof body === 'string') return body === '' ? undefined : textBody(body, type, secrets);
      if (typeof body !== 'object') return body;
      if (body instanceof URLSearchParams) return cut(form(body, secrets));
      if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
        const bytes =
          body instanceof ArrayBuffer
            ? new Uint8Array(body)
            : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
        if (!TEXT_TYPE.test(type)) return `[${bytes.byteLength} bytes]`;
        return textBody(new TextDecoder().decode(bytes), type, secrets);
      }
      return opaque(body) ?? structured(body, secrets);
    },
  };
}
