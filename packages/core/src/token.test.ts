import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from './errors.js';
import { isToken, Token } from './token.js';

const SECRET = 'at-SECRET-MARKER-123';

describe('Token', () => {
  it('round-trips through plain JSON without loss', () => {
    const token = new Token({
      accessToken: SECRET,
      tokenType: 'bearer',
      expiresAt: 1_700_000_000_000,
      issuedAt: 1_699_999_000_000,
      refreshToken: 'rt-SECRET',
      scope: 'a b',
      extra: { id_token: 'x', nested: { n: 1 } },
    });
    const copy = Token.fromJSON(JSON.parse(JSON.stringify(token)));
    expect(copy.toJSON()).toEqual(token.toJSON());
    expect(copy.expiresAt?.getTime()).toBe(1_700_000_000_000);
    expect(copy.issuedAt.getTime()).toBe(1_699_999_000_000);
    expect(copy.extra).toEqual({ id_token: 'x', nested: { n: 1 } });
  });

  it('round-trips a token without expiry', () => {
    const token = new Token({ accessToken: 'a', issuedAt: 5 });
    const copy = Token.fromJSON(token.toJSON());
    expect(copy.expiresAt).toBeUndefined();
    expect(copy.isExpired(0, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('normalizes known schemes and keeps others as named', () => {
    expect(new Token({ accessToken: 'a', tokenType: 'BEARER' }).authorizationHeader).toBe(
      'Bearer a',
    );
    expect(new Token({ accessToken: 'a', tokenType: 'dpop' }).authorizationHeader).toBe('DPoP a');
    expect(new Token({ accessToken: 'a', tokenType: 'MAC' }).authorizationHeader).toBe('MAC a');
    expect(new Token({ accessToken: 'a' }).tokenType).toBe('Bearer');
  });

  it('is expired at expiry minus skew', () => {
    const token = new Token({ accessToken: 'a', expiresAt: 10_000 });
    expect(token.isExpired(0, 9_999)).toBe(false);
    expect(token.isExpired(0, 10_000)).toBe(true);
    expect(token.isExpired(1_000, 9_000)).toBe(true);
    expect(token.isExpired(1_000, 8_999)).toBe(false);
  });

  it('rejects an empty access token and invalid dates', () => {
    expect(() => new Token({ accessToken: '' })).toThrow(ConfigurationError);
    expect(() => new Token({ accessToken: 'a', expiresAt: Number.NaN })).toThrow(/expiresAt/);
  });

  it.each([
    ['CR LF', `${SECRET}\r\nX-Injected: 1`],
    ['NUL', `${SECRET}\u0000`],
    ['a tab', `${SECRET}\tx`],
    ['DEL', `${SECRET}\u007f`],
    ['non-ASCII', `${SECRET}é`],
    ['a C1 control', `${SECRET}\u0085`],
  ])('rejects an access token with %s, without quoting it', (_name, accessToken) => {
    let error: unknown;
    try {
      new Token({ accessToken });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).option).toBe('accessToken');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it.each([
    ['a space', 'Bearer x'],
    ['CR LF', 'Bearer\r\nX-Injected'],
    ['a separator', 'Bearer;'],
    ['non-ASCII', 'Bearér'],
    ['a quote', 'Be"arer'],
  ])('rejects a token type with %s, without quoting it', (_name, tokenType) => {
    let error: unknown;
    try {
      new Token({ accessToken: 'a', tokenType });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).option).toBe('tokenType');
    expect((error as Error).message).not.toContain(tokenType);
  });

  it('accepts every visible ASCII character (RFC 6749 VSCHAR) in an access token', () => {
    const visible = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
      .join('')
      .trim();
    expect(new Token({ accessToken: visible }).accessToken).toBe(visible);
    expect(new Token({ accessToken: 'a', tokenType: "N_A-1.2!#$%&'*+^`|~" }).tokenType).toBe(
      "N_A-1.2!#$%&'*+^`|~",
    );
  });

  it('fromJSON of a stored entry that could not be a header fails, so storages treat it as a miss', () => {
    const stored = new Token({ accessToken: 'a', issuedAt: 1 }).toJSON();
    expect(() => Token.fromJSON({ ...stored, accessToken: `${SECRET}\r\n` })).toThrow(
      ConfigurationError,
    );
    expect(() => Token.fromJSON({ ...stored, tokenType: 'Bearer\n' })).toThrow(ConfigurationError);
  });

  it.each([
    null,
    'string',
    42,
    {},
    { accessToken: 'a' },
    { accessToken: 1, issuedAt: 1 },
    { accessToken: 'a', issuedAt: 'yesterday' },
    { accessToken: 'a', issuedAt: 1, extra: [] },
    { accessToken: 'a', issuedAt: 1, expiresAt: Number.POSITIVE_INFINITY },
  ])('fromJSON rejects %j', (value) => {
    expect(() => Token.fromJSON(value)).toThrow(ConfigurationError);
  });

  it('never shows credentials in inspect, toString or errors', () => {
    const token = new Token({ accessToken: SECRET, refreshToken: `${SECRET}-r`, expiresAt: 1 });
    expect(inspect(token)).not.toContain(SECRET);
    expect(inspect({ nested: [token] }, { depth: 5 })).not.toContain(SECRET);
    expect(String(token)).not.toContain(SECRET);
    expect(`${token}`).toContain('Bearer');
  });

  it('is immutable', () => {
    const token = new Token({ accessToken: 'a' });
    expect(Object.isFrozen(token)).toBe(true);
    expect(Object.isFrozen(token.extra)).toBe(true);
  });

  it('recognizes tokens across package copies', () => {
    const token = new Token({ accessToken: 'a' });
    expect(isToken(token)).toBe(true);
    expect(isToken({ ...token.toJSON() })).toBe(false);
    expect(isToken(Object.assign(Object.create(null), token, { isExpired: () => false }))).toBe(
      true,
    );
  });
});
