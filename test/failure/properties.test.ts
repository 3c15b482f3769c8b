// Property tests at the public-API level, beside the unit-level ones in
// @forge/core (which cover parseTokenResponse, compilePathGlob, the policy's
// origin check and redact() with listed secrets). These drive whole public
// entry points with arbitrary input: a provider against an arbitrary token
// endpoint answer, the bearer() authorizer against URLs written to sneak past
// the policy, and redaction of secrets nobody listed.
import { inspect } from 'node:util';
import {
  bearer,
  ClientCredentialsTokenProvider,
  ForgeError,
  REDACTED,
  redact,
  redactUrl,
  Token,
} from '@forge/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SECRET = 'Prop-Secret-7f3a9c'; // what the client authenticates with
const API = 'https://api.example.com';

function everyTextOf(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 6 })];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  return parts.join('\n');
}

/** An answer of the token endpoint: any status, type and body, the secret echoed anywhere. */
const answer = fc.record({
  status: fc.oneof(
    fc.constantFrom(200, 201, 400, 401, 429, 500, 502, 503),
    fc.integer({ min: 200, max: 599 }),
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/x-www-form-urlencoded',
    'text/html',
    'text/plain',
    '',
  ),
  body: fc.oneof(
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string(),
    fc
      .record(
        {
          access_token: fc.oneof(fc.string(), fc.constant(SECRET), fc.integer(), fc.constant(null)),
          token_type: fc.oneof(fc.string(), fc.constantFrom('bearer', 'Bearer', 'DPoP')),
          expires_in: fc.oneof(fc.integer(), fc.string(), fc.double()),
          refresh_token: fc.string(),
          error: fc.constantFrom('invalid_client', 'invalid_grant', 'server_error'),
          error_description: fc.oneof(
            fc.string(),
            fc.constant(`client_secret=${SECRET} was wrong`),
            fc.constant(`bad credentials ${SECRET}`),
          ),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.constant(`<html><body>${SECRET}</body></html>`),
    fc.constant(`error=invalid_client&error_description=${encodeURIComponent(SECRET)}`),
  ),
});

/** The `access_token` an answer carried, as JSON or form-encoded, before any escaping. */
function accessTokenSent(body: string): unknown {
  try {
    return (JSON.parse(body) as { access_token?: unknown }).access_token;
  } catch {
    return new URLSearchParams(body).get('access_token');
  }
}

describe('ClientCredentialsTokenProvider against arbitrary token endpoint answers', () => {
  it('resolves only to a token with the access token sent, or rejects with a ForgeError that never shows the client secret', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async ({ status, contentType, body }) => {
        const provider = new ClientCredentialsTokenProvider({
          serviceName: 'prop',
          clientId: 'prop-client',
          clientSecret: SECRET,
          tokenEndpoint: 'https://auth.example.com/token',
          retry: false,
          fetch: async () =>
            new Response(status === 204 || status === 205 || status === 304 ? null : body, {
              status,
              headers: contentType ? { 'content-type': contentType } : {},
            }),
        });
        let token: Token | undefined;
        try {
          token = await provider.fetchToken();
        } catch (error) {
          expect(error).toBeInstanceOf(ForgeError);
          expect(everyTextOf(error)).not.toContain(SECRET);
          return;
        }
        expect(token).toBeInstanceOf(Token);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(300);
        expect(typeof token.accessToken).toBe('string');
        expect(token.accessToken.trim()).not.toBe('');
        expect(String(accessTokenSent(body))).toContain(token.accessToken);
        expect(Number.isNaN(token.expiresAtMs)).toBe(false);
        // A token never shows its secrets when logged (a one-character token like ","
        // is in any description, so the check needs one that cannot be by chance).
        if (/^[A-Za-z0-9]{8,}$/.test(token.accessToken)) {
          expect(inspect(token)).not.toContain(token.accessToken);
        }
      }),
      { numRuns: 300 },
    );
  });
});

const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/**
 * The policy's contract, computed independently with the WHATWG URL parser:
 * an exclusion applies to every way a server may read the path (unreserved
 * escapes decoded, dot segments resolved, `;` parameters dropped, runs of
 * slashes merged, a trailing slash dropped), ignoring case.
 */
function serverReadings(url: string): string[] {
  const decoded = new URL(url).pathname.replace(/%([0-9A-Fa-f]{2})/g, (escaped, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escaped;
  });
  const resolved = new URL(`${API}${decoded}`).pathname;
  const merged = new URL(`${API}${resolved.replace(/;[^/]*/g, '').replace(/\/{2,}/g, '/')}`)
    .pathname;
  return [resolved, merged]
    .flatMap((path) => [path, path.length > 1 ? path.replace(/\/+$/, '') : path])
    .map((path) => path.toLowerCase());
}

/** Path segments that try to change what the path means after normalization. */
const segment = fc.oneof(
  fc.constantFrom('public', 'PUBLIC', 'orders', '.', '..', '%2e', '%2e%2e', '%2E.', '', 'public;x'),
  fc.stringMatching(/^[a-zA-Z0-9._~%-]{0,8}$/),
);

describe('bearer() authorizer and the request policy', () => {
  const token = new Token({ accessToken: 'prop-access-token', expiresAt: Date.now() + 3_600_000 });
  const authorizer = bearer(
    { getToken: async () => token, invalidate: async () => {} },
    { policy: { baseURL: API, excludedPaths: ['/health'], excludedPathPatterns: ['/public/**'] } },
  );

  it('never authorizes a path that normalizes into an excluded one, however it is written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 6 }), async (segments) => {
        const url = `${API}/${segments.join('/')}`;
        const authorization = await authorizer.authorize({
          method: 'GET',
          url,
          headers: {},
          attempt: 0,
        });
        const excluded = serverReadings(url).some(
          (path) => path === '/health' || path.startsWith('/public/'),
        );
        expect(authorization === undefined).toBe(excluded);
      }),
      { numRuns: 500 },
    );
  });

  it('never sends credentials to another origin, whatever the URL looks like', async () => {
    const host = fc.constantFrom(
      'api.example.com',
      'api.example.com.evil.com',
      'evil.com',
      'API.EXAMPLE.COM',
      'api.example.com:8443',
      'api.example.com@evil.com',
      'evil.com#@api.example.com',
      'evil.com\\@api.example.com',
      'xn--pi-7ba.example.com',
    );
    const scheme = fc.constantFrom('https://', 'http://', 'HTTPS://', 'wss://', '//', '');
    await fc.assert(
      fc.asyncProperty(scheme, host, fc.string(), async (prefix, where, rest) => {
        const url = `${prefix}${where}/${rest}`;
        let origin: string | undefined;
        try {
          origin = new URL(url).origin;
        } catch {
          origin = undefined;
        }
        const authorization = await authorizer.authorize({
          method: 'GET',
          url,
          headers: {},
          attempt: 0,
        });
        if (authorization !== undefined) expect(origin).toBe(API);
        if (origin !== API) expect(authorization).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

/** A secret value: long enough to be worth redacting, made of characters credentials use. */
const secretValue = fc
  .stringMatching(/^[A-Za-z0-9._~+/-]{12,40}$/)
  .filter((value) => !REDACTED.includes(value));
// Text before a secret ends where a log line would put a separator; text after it is any punctuation.
const before = fc
  .tuple(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('', ' ', '\n', '\t', 'log: ', 'POST /token '),
  )
  .map(([text, separator]) => (separator === '' ? '' : `${text}${separator}`));
const after = fc.string({ maxLength: 20 }).map((text) => text.replace(/[A-Za-z0-9._~+/%-]/g, ' '));

describe('redaction of secrets nobody listed', () => {
  // Each shape writes the secret as that context would (percent-encoded in a URL's
  // user-info) and returns what must not survive redaction.
  const shapes: readonly ((secret: string) => readonly [text: string, needle: string])[] = [
    (s) => [`POST /token client_secret=${s}&grant_type=client_credentials`, s],
    (s) => [`GET /cb?code=${s}&state=abc`, s],
    (s) => [`{"access_token":"${s}","token_type":"Bearer"}`, s],
    (s) => [`{"refresh_token": "${s}"}`, s],
    (s) => [`authorization: Bearer ${s}`, s],
    (s) => [`Authorization: Basic ${s}`, s],
    (s) => [`headers: { Authorization: 'Bearer ${s}' }`, s],
    (s) => [`https://user:${encodeURIComponent(s)}@api.example.com/path`, encodeURIComponent(s)],
    (s) => [`password=${s}`, s],
    (s) => [`cookie: session=${s}`, s],
  ];

  it('removes the secret from every shape it can appear in, with any text around it', () => {
    fc.assert(
      fc.property(
        secretValue,
        fc.integer({ min: 0, max: shapes.length - 1 }),
        before,
        after,
        (secret, shape, head, tail) => {
          const [text, needle] = (shapes[shape] as (s: string) => readonly [string, string])(
            secret,
          );
          expect(redact(`${head}${text}${tail}`)).not.toContain(needle);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('removes form-encoded secrets after any punctuation (JSON-quoted bodies, braces)', () => {
    const secret = 'Sq7LeakCheck0123';
    for (const text of [
      `{"body":"client_secret=${secret}&grant_type=client_credentials"}`,
      `{client_secret=${secret}}`,
      `(password=${secret})`,
      `[access_token=${secret}]`,
      `body:refresh_token=${secret}`,
    ]) {
      expect(redact(text)).not.toContain(secret);
    }
  });

  it('never throws on arbitrary text, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const once = redact(text);
        expect(typeof once).toBe('string');
        expect(redact(once)).toBe(once);
      }),
      { numRuns: 1_000 },
    );
  });

  it('redactUrl never throws and never keeps a secret query parameter or user-info', () => {
    const secretParam = fc.constantFrom(
      'access_token',
      'refresh_token',
      'client_secret',
      'code',
      'password',
      'id_token',
      'ACCESS_TOKEN',
    );
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true }),
        secretParam,
        secretValue,
        (base, name, secret) => {
          const url = new URL(base);
          url.searchParams.append(name, secret);
          url.username = 'user';
          url.password = secret;
          const out = redactUrl(url.href);
          expect(out).not.toContain(secret);
          expect(out).not.toContain(encodeURIComponent(secret));
        },
      ),
      { numRuns: 500 },
    );
  });
});
