import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, TokenEndpointError } from '../errors.js';
import { Token } from '../token.js';
import { parseBody } from './body.js';
import { parseTokenFields, parseTokenResponse } from './token-response.js';

const receivedAt = Date.parse('2026-01-01T00:00:00Z');
const options = { serviceName: 'api', receivedAt };
const ok = (body: string, contentType = 'application/json') =>
  parseTokenResponse({ status: 200, contentType, body }, options);
const refusal = (attempt: () => unknown): unknown => {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected the response to be refused');
};

describe('parseTokenResponse: lenient where servers differ', () => {
  it('reads a standard JSON response and keeps other fields in extra', () => {
    const token = ok(
      JSON.stringify({
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 120,
        refresh_token: 'rt',
        scope: 'read write',
        id_token: 'idt',
        issued_token_type: 'urn:x',
      }),
    );
    expect(token.accessToken).toBe('at');
    expect(token.expiresAtMs).toBe(receivedAt + 120_000);
    expect(token.issuedAtMs).toBe(receivedAt);
    expect(token.refreshToken).toBe('rt');
    expect(token.scope).toBe('read write');
    expect(token.extra).toEqual({ id_token: 'idt', issued_token_type: 'urn:x' });
  });

  it('accepts expires_in as a string', () => {
    expect(ok('{"access_token":"a","expires_in":"3600"}').expiresAtMs).toBe(receivedAt + 3_600_000);
  });

  it('applies the default lifetime when expires_in is missing or unusable', () => {
    expect(ok('{"access_token":"a"}').expiresAtMs).toBe(receivedAt + 3_600_000);
    expect(ok('{"access_token":"a","expires_in":"soon"}').expiresAtMs).toBe(receivedAt + 3_600_000);
    expect(ok('{"access_token":"a","expires_in":null}').expiresAtMs).toBe(receivedAt + 3_600_000);
    expect(ok('{"access_token":"a","expires_in":""}').expiresAtMs).toBe(receivedAt + 3_600_000);
    expect(ok('{"access_token":"a","expires_in":1e308}').expiresAtMs).toBe(receivedAt + 1e12);
    const custom = parseTokenResponse(
      { status: 200, contentType: 'application/json', body: '{"access_token":"a"}' },
      { ...options, defaultLifetimeMs: 60_000 },
    );
    expect(custom.expiresAtMs).toBe(receivedAt + 60_000);
    const forever = parseTokenResponse(
      { status: 200, contentType: 'application/json', body: '{"access_token":"a"}' },
      { ...options, defaultLifetimeMs: Number.POSITIVE_INFINITY },
    );
    expect(forever.expiresAt).toBeUndefined();
  });

  it('expires_in of 0 or less is a token already expired when it arrived, never the default lifetime', () => {
    for (const expiresIn of ['0', '-5', '"0"', '"-5"', '-0', '-1e308', '"-0.5"']) {
      const token = ok(`{"access_token":"a","expires_in":${expiresIn}}`);
      expect(token.expiresAtMs, `expires_in ${expiresIn}`).toBe(receivedAt);
      expect(token.isExpired(0, receivedAt)).toBe(true);
    }
    const form = ok('access_token=a&expires_in=-1', 'application/x-www-form-urlencoded');
    expect(form.expiresAtMs).toBe(receivedAt);
  });

  it('a lifetime under a second counts as what it is', () => {
    expect(ok('{"access_token":"a","expires_in":0.5}').expiresAtMs).toBe(receivedAt + 500);
    expect(ok('{"access_token":"a","expires_in":1e-300}').expiresAtMs).toBe(receivedAt);
  });

  it('normalizes token_type in any case', () => {
    expect(ok('{"access_token":"a","token_type":"bearer"}').authorizationHeader).toBe('Bearer a');
    expect(ok('{"access_token":"a","token_type":"BEARER"}').tokenType).toBe('Bearer');
    expect(ok('{"access_token":"a","token_type":"dpop"}').tokenType).toBe('DPoP');
    expect(ok('{"access_token":"a"}').tokenType).toBe('Bearer');
  });

  it('reads form-encoded bodies (GitHub style)', () => {
    const token = ok(
      'access_token=gho_abc&scope=repo%2Cgist&token_type=bearer',
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    expect(token.accessToken).toBe('gho_abc');
    expect(token.scope).toBe('repo,gist');
    const sniffed = ok('access_token=a&expires_in=60', 'text/plain');
    expect(sniffed.expiresAtMs).toBe(receivedAt + 60_000);
  });

  it('joins a scope sent as an array', () => {
    expect(ok('{"access_token":"a","scope":["read","write"]}').scope).toBe('read write');
  });

  it('keeps the previous refresh token and scope when a refresh response omits them', () => {
    const token = parseTokenFields(
      { access_token: 'new' },
      { ...options, previous: { refreshToken: 'old-rt', scope: 'read' } },
    );
    expect(token.refreshToken).toBe('old-rt');
    expect(token.scope).toBe('read');
  });
});

describe('parseTokenResponse: strict where it matters', () => {
  it('a 2xx without access_token is an AuthenticationError', () => {
    expect(() => ok('{"token_type":"bearer"}')).toThrow(AuthenticationError);
    expect(() => ok('{"access_token":""}')).toThrow(/without an `access_token`/);
    expect(() => ok('{"access_token":42}')).toThrow(AuthenticationError);
  });

  it('a 200 carrying an OAuth error is that error', () => {
    const error = (() => {
      try {
        ok('{"error":"bad_verification_code","error_description":"The code passed is incorrect"}');
      } catch (caught) {
        return caught as AuthenticationError;
      }
    })();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error?.error).toBe('bad_verification_code');
  });

  it('a 2xx carrying error is that error, whatever else it carries', () => {
    for (const body of [
      '{"access_token":"a","token_type":"Bearer","error":"invalid_grant"}',
      '{"access_token":"a","expires_in":60,"error":"server_error","error_description":"x"}',
      'access_token=a&error=access_denied',
    ]) {
      const error = refusal(() => ok(body, 'application/x-www-form-urlencoded'));
      expect(error, body).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).error).toMatch(
        /^(invalid_grant|server_error|access_denied)$/,
      );
    }
    const odd = refusal(() => ok('{"access_token":"a","error":{"code":1}}'));
    expect(odd).toBeInstanceOf(AuthenticationError);
    expect((odd as AuthenticationError).error).toBe('invalid_response');
  });

  const SECRET = 'at-SECRET-MARKER-0042';
  const HEADER_BREAKERS: readonly (readonly [string, string])[] = [
    ['CR LF', `${SECRET}\r\nX-Injected: 1`],
    ['LF', `${SECRET}\n`],
    ['NUL', `${SECRET}\u0000`],
    ['a tab', `${SECRET}\t`],
    ['DEL', `${SECRET}\u007f`],
    ['non-ASCII', `${SECRET}\u00e9`],
    ['a line separator', `${SECRET}\u2028`],
  ];

  it.each(HEADER_BREAKERS)(
    'an access_token with %s is a malformed response that never quotes it',
    (_name, value) => {
      for (const [body, type] of [
        [JSON.stringify({ access_token: value, token_type: 'Bearer' }), 'application/json'],
        [
          new URLSearchParams({ access_token: value }).toString(),
          'application/x-www-form-urlencoded',
        ],
      ] as const) {
        const error = refusal(() => ok(body, type));
        expect(error).toBeInstanceOf(TokenEndpointError);
        expect((error as TokenEndpointError).reason).toBe('malformed');
        expect((error as TokenEndpointError).status).toBe(200);
        expect((error as Error).message).not.toContain(SECRET);
        expect((error as Error).message).toContain('`access_token`');
      }
    },
  );

  it.each([
    ['CR LF', 'Bearer\r\nX-Injected: 1'],
    ['a space', 'Bearer at-SECRET-MARKER-0042'],
    ['NUL', 'Bearer\u0000'],
    ['non-ASCII', 'B\u00e9arer'],
    ['a separator', 'Bearer,'],
  ])('a token_type with %s is a malformed response that never quotes it', (_name, tokenType) => {
    const error = refusal(() => ok(JSON.stringify({ access_token: 'a', token_type: tokenType })));
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).reason).toBe('malformed');
    expect((error as Error).message).not.toContain(tokenType);
    expect((error as Error).message).toContain('`token_type`');
  });

  it('an unreadable 2xx body is a malformed TokenEndpointError', () => {
    for (const body of ['', '<html>ok</html>', '{"access_token":', '[1,2]', 'null']) {
      const attempt = () => ok(body);
      expect(attempt).toThrow(TokenEndpointError);
      try {
        attempt();
      } catch (error) {
        expect((error as TokenEndpointError).reason).toBe('malformed');
        expect((error as TokenEndpointError).status).toBe(200);
      }
    }
  });

  it('RFC 6749 error bodies become AuthenticationError with status, code and a redacted description', () => {
    const secret = 'the-client-secret';
    try {
      parseTokenResponse(
        {
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({
            error: 'invalid_client',
            error_description: `client authentication failed for secret ${secret}`,
          }),
        },
        { ...options, secrets: [secret] },
      );
      expect.unreachable();
    } catch (error) {
      const auth = error as AuthenticationError;
      expect(auth).toBeInstanceOf(AuthenticationError);
      expect(auth.serviceName).toBe('api');
      expect(auth.status).toBe(401);
      expect(auth.error).toBe('invalid_client');
      expect(auth.errorDescription).toContain('[REDACTED]');
      expect(auth.message).not.toContain(secret);
      expect(auth.message).toMatch(/^\[forge\] \[core\] .*invalid_client.*Check the client id/);
    }
  });

  it('HTML, empty and form-encoded error bodies and WWW-Authenticate challenges', () => {
    const refused = (status: number, body: string, contentType: string, www?: string) => {
      try {
        parseTokenResponse({ status, contentType, body, wwwAuthenticate: www }, options);
      } catch (error) {
        return error as AuthenticationError;
      }
      throw new Error('expected a refusal');
    };
    const html = refused(400, '<html><body>Bad Request</body></html>', 'text/html');
    expect(html.status).toBe(400);
    expect(html.error).toBeUndefined();
    expect(html.message).toContain('HTTP 400');
    expect(refused(403, '', 'text/plain').status).toBe(403);
    expect(
      refused(
        400,
        'error=invalid_grant&error_description=expired',
        'application/x-www-form-urlencoded',
      ).error,
    ).toBe('invalid_grant');
    const challenged = refused(401, '', 'text/plain', 'Basic realm="x", error="invalid_client"');
    expect(challenged.error).toBe('invalid_client');
  });
});

describe('OAuth error codes from the server', () => {
  const SECRET = 'cs-SECRET-MARKER-0042';
  const refused = (body: string, www?: string, status = 400, contentType = 'application/json') =>
    refusal(() =>
      parseTokenResponse(
        { status, contentType, body, wwwAuthenticate: www },
        { ...options, secrets: [SECRET] },
      ),
    ) as AuthenticationError;

  it('keeps a well-formed code', () => {
    expect(refused('{"error":"invalid_client"}').error).toBe('invalid_client');
    expect(refused('', 'Bearer error="invalid_token"', 401).error).toBe('invalid_token');
  });

  it.each([
    ['the client secret', SECRET],
    ['a secret parameter', `client_secret=${SECRET}`],
    ['a known secret inside', `bad_${SECRET}`],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
    ['a bearer credential', 'Bearer abcdef0123456789'],
    ['a code over 64 characters', 'e'.repeat(65)],
    ['a quote', 'invalid"client'],
    ['a backslash', 'invalid\\client'],
    ['CR LF', 'invalid\r\nclient'],
    ['non-ASCII', 'invalid_cli\u00e9nt'],
  ])('replaces a code carrying %s with a fixed placeholder', (_name, code) => {
    for (const error of [
      refused(JSON.stringify({ error: code, error_description: `echo ${SECRET}` })),
      refused(
        new URLSearchParams({ error: code }).toString(),
        undefined,
        400,
        'application/x-www-form-urlencoded',
      ),
      refused('', `Bearer error="${code.replace(/"/g, '')}", error_description="${SECRET}"`, 401),
      refusal(() =>
        parseTokenResponse(
          { status: 200, contentType: 'application/json', body: JSON.stringify({ error: code }) },
          { ...options, secrets: [SECRET] },
        ),
      ) as AuthenticationError,
    ]) {
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.error).toMatch(/^[a-z_]{1,64}$/);
      for (const text of [
        error.message,
        error.error,
        error.errorDescription ?? '',
        JSON.stringify(error),
      ]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
        expect(text).not.toContain('abcdef0123456789');
      }
    }
    expect(refused(JSON.stringify({ error: code })).error).toBe('invalid_response');
  });

  it('removes control characters from the description', () => {
    const error = refused(
      JSON.stringify({ error: 'invalid_grant', error_description: 'line1\r\nline2\u0000' }),
    );
    for (const text of [error.errorDescription, error.message]) {
      for (const control of ['\r', '\n', '\u0000']) expect(text).not.toContain(control);
    }
  });
});

describe('parseBody', () => {
  it('reads JSON objects and form bodies, and nothing else', () => {
    expect(parseBody('{"a":1}', 'application/json')).toEqual({ a: 1 });
    expect(parseBody('a=1&b=x%20y', 'application/x-www-form-urlencoded')).toEqual({
      a: '1',
      b: 'x y',
    });
    expect(parseBody('<html>a=b</html>', 'text/html')).toBeUndefined();
    expect(parseBody('   ', 'application/json')).toBeUndefined();
    expect(parseBody('"string"', 'application/json')).toBeUndefined();
  });
});

describe('properties', () => {
  const parseAny = (body: string, status = 200, contentType = 'application/json') => {
    try {
      return parseTokenResponse({ status, contentType, body }, options);
    } catch (error) {
      if (error instanceof AuthenticationError || error instanceof TokenEndpointError) return error;
      throw error;
    }
  };

  it('arbitrary JSON never crashes and never yields a token without an access token', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 100, max: 599 }), (value, status) => {
        const result = parseAny(JSON.stringify(value), status);
        if (result instanceof Token) {
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(300);
          expect(typeof result.accessToken).toBe('string');
          expect(result.accessToken.trim()).not.toBe('');
          expect(result.accessToken).toBe((value as { access_token: string }).access_token);
          expect(Number.isNaN(result.expiresAtMs)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('token-shaped objects with arbitrary field values parse or fail with a typed error', () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.string()),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            access_token: field,
            token_type: field,
            expires_in: field,
            refresh_token: field,
            scope: field,
            extra: field,
          },
          { requiredKeys: [] },
        ),
        (value) => {
          const result = parseAny(JSON.stringify(value));
          const headerSafe =
            typeof value.access_token === 'string' &&
            /^[\x20-\x7e]+$/.test(value.access_token) &&
            value.access_token.trim() !== '' &&
            (typeof value.token_type !== 'string' ||
              value.token_type.trim() === '' ||
              /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value.token_type.trim()));
          if (result instanceof Token) {
            expect(result.accessToken).toBe(value.access_token);
            expect(result.expiresAtMs).toBeGreaterThanOrEqual(receivedAt);
          } else {
            expect(headerSafe).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary text bodies never crash', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom('application/json', 'text/html', 'application/x-www-form-urlencoded', ''),
        (body, type) => {
          const result = parseAny(body, 200, type);
          if (result instanceof Token) expect(result.accessToken.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
