import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { base64url, basicAuthorization, formUrlEncode } from './encoding.js';
import { clientSecretJwt, privateKeyJwt } from './jwt-methods.js';
import { clientSecretBasic, clientSecretPost, none } from './secret-methods.js';

describe('client_secret_basic encoding (RFC 6749 §2.3.1)', () => {
  it('form-urlencodes id and secret before base64', () => {
    expect(formUrlEncode('a b:c/d+e%f&g=h')).toBe('a+b%3Ac%2Fd%2Be%25f%26g%3Dh');
    const header = basicAuthorization('my:client', 'p@ss word:+');
    const decoded = atob(header.replace('Basic ', ''));
    expect(decoded).toBe('my%3Aclient:p%40ss+word%3A%2B');
    const [id, secret] = decoded
      .split(':')
      .map((part) => decodeURIComponent(part.replace(/\+/g, '%20')));
    expect(id).toBe('my:client');
    expect(secret).toBe('p@ss word:+');
  });

  it('encodes non-ASCII as UTF-8', () => {
    expect(atob(basicAuthorization('ü', 'é').slice(6))).toBe('%C3%BC:%C3%A9');
  });

  it('base64url has no padding or unsafe characters', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
  });
});

describe('ClientAuth factories', () => {
  const secret = 'super-secret-value';

  it('apply the credentials where each method puts them', async () => {
    const request = () => ({
      body: new URLSearchParams(),
      headers: {} as Record<string, string>,
      tokenEndpoint: 'https://as.example/token',
    });
    const basic = request();
    await clientSecretBasic('id', secret).apply(basic);
    expect(basic.headers.authorization).toBe(basicAuthorization('id', secret));
    expect(basic.body.has('client_secret')).toBe(false);

    const post = request();
    await clientSecretPost('id', secret).apply(post);
    expect(Object.fromEntries(post.body)).toEqual({ client_id: 'id', client_secret: secret });

    const pub = request();
    await none('id').apply(pub);
    expect(Object.fromEntries(pub.body)).toEqual({ client_id: 'id' });
  });

  it('never show the secret or key in inspect or JSON', () => {
    const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private-d-value' } as const;
    for (const auth of [
      clientSecretBasic('id', secret),
      clientSecretPost('id', secret),
      clientSecretJwt('id', secret),
      privateKeyJwt('id', key),
    ]) {
      const shown = `${inspect(auth, { depth: 5, showHidden: true })} ${JSON.stringify(auth)}`;
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain('private-d-value');
      expect(shown).toContain('id');
    }
  });

  it('reject empty ids, secrets and unusable keys naming the option', () => {
    expect(() => clientSecretBasic('', secret)).toThrow(/`clientId`/);
    expect(() => clientSecretPost('id', '')).toThrow(/`clientSecret`/);
    expect(() => clientSecretJwt('id', secret, { alg: 'RS256' as 'HS256' })).toThrow(/`alg`/);
    expect(() => privateKeyJwt('id', 'not a pem')).toThrow(/`privateKey`/);
    expect(() => privateKeyJwt('id', '-----BEGIN RSA PRIVATE KEY-----\nabc')).toThrow(/pkcs8/);
    expect(() => privateKeyJwt('id', { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' })).toThrow(
      /public JWK/,
    );
  });
});
