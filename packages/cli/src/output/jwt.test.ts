import { describe, expect, it } from 'vitest';
import { decodeJwt } from './jwt.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('decodeJwt', () => {
  it('reads the header and claims of a JWS, and nothing of the signature', () => {
    expect(decodeJwt(`${b64({ alg: 'RS256' })}.${b64({ sub: 'a', exp: 1 })}.c2ln`)).toEqual({
      header: { alg: 'RS256' },
      claims: { sub: 'a', exp: 1 },
    });
  });

  it('reads only the header of a JWE', () => {
    expect(decodeJwt(`${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`)).toEqual({
      header: { alg: 'RSA-OAEP', enc: 'A256GCM' },
      claims: undefined,
    });
  });

  it.each([
    'opaque-token-value',
    'a.b.c',
    `${b64('string')}.${b64({})}.x`,
    `${b64({ alg: 'none' })}.${b64([1])}.x`,
    `${b64({ alg: 'none' })}.not base64!.x`,
    undefined,
  ])('%j is not a JWT', (value) => {
    expect(decodeJwt(value)).toBeUndefined();
  });
});
