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
    expect(ok('{"access_token":"a","expires_in":-5}').expiresAtMs).toBe(receivedAt + 3_600_000);
    expect(ok('{"access_token":"a","expires_in":1e-300}').expiresAtMs).toBe(receivedAt + 3_600_000);
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
          if (result instanceof Token) {
            expect(result.accessToken).toBe(value.access_token);
            expect(result.expiresAtMs).toBeGreaterThan(receivedAt);
          } else {
            expect(typeof value.access_token !== 'string' || value.access_token.trim() === '').toBe(
              true,
            );
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
