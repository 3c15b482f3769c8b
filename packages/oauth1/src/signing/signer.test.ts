import { generateKeyPairSync, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigurationError, ForgeError } from '@forge/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OAuth1Signer, type OAuth1SignerOptions } from './signer.js';

const base: OAuth1SignerOptions = { consumerKey: 'ck', consumerSecret: 'cs-very-secret' };
const fixed = { nonce: () => 'n0nce', timestamp: () => 1_700_000_000 };

function configurationError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OAuth1Signer defaults', () => {
  it('signs with HMAC-SHA1 in the Authorization header, with oauth_version, a random nonce and the clock', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_123_456);
    const signer = new OAuth1Signer(base);
    const first = await signer.sign({ method: 'get', url: 'https://api.example.com/a' });
    const second = await signer.sign({ method: 'get', url: 'https://api.example.com/a' });
    expect(first.oauthParameters).toMatchObject({
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '1700000123',
      oauth_version: '1.0',
      oauth_consumer_key: 'ck',
    });
    expect(first.oauthParameters.oauth_nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(second.oauthParameters.oauth_nonce).not.toBe(first.oauthParameters.oauth_nonce);
    expect(first.headers.authorization).toMatch(/^OAuth oauth_consumer_key="ck", oauth_nonce="/);
    expect(first.baseString.startsWith('GET&https%3A%2F%2Fapi.example.com%2Fa&')).toBe(true);
  });

  it('omits oauth_version when asked', async () => {
    const signed = await new OAuth1Signer({ ...base, ...fixed, version: false }).sign({
      method: 'GET',
      url: 'https://api.example.com/',
    });
    expect(signed.oauthParameters.oauth_version).toBeUndefined();
  });
});

describe('transmission', () => {
  it("'query' appends the parameters, keeps the existing query byte for byte and drops the fragment", async () => {
    const signer = new OAuth1Signer({ ...base, ...fixed, transmission: 'query' });
    const signed = await signer.sign({
      method: 'GET',
      url: 'https://api.example.com/p?b=%7E&a=1+2#frag',
    });
    expect(signed.headers).toEqual({});
    expect(
      signed.url.startsWith('https://api.example.com/p?b=%7E&a=1+2&oauth_consumer_key=ck&'),
    ).toBe(true);
    expect(signed.url).not.toContain('#frag');
    const query = new URL(signed.url).searchParams;
    expect(query.get('oauth_signature')).toBe(signed.oauthParameters.oauth_signature);
  });

  it("'query' re-signs a URL that already carries protocol parameters (a retry) without duplicating them", async () => {
    const signer = new OAuth1Signer({ ...base, ...fixed, transmission: 'query' });
    const once = await signer.sign({ method: 'GET', url: 'https://api.example.com/p?a=1' });
    const twice = await signer.sign({ method: 'GET', url: once.url });
    expect(new URL(twice.url).searchParams.getAll('oauth_signature')).toHaveLength(1);
    expect(twice.url).toBe(once.url);
  });

  it("'body' appends to a form body, or creates one (with its content type) on a POST without a body", async () => {
    const signer = new OAuth1Signer({ ...base, ...fixed, transmission: 'body' });
    const form = await signer.sign({
      method: 'POST',
      url: 'https://api.example.com/p',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'status=hi+there',
    });
    expect(form.headers).toEqual({});
    expect(form.body?.startsWith('status=hi+there&oauth_consumer_key=ck&')).toBe(true);
    expect(form.baseString).toContain('status%3Dhi%2520there');
    const empty = await signer.sign({ method: 'POST', url: 'https://api.example.com/p' });
    expect(empty.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(new URLSearchParams(empty.body).get('oauth_signature')).toBe(
      empty.oauthParameters.oauth_signature,
    );
  });

  it("'body' refuses a GET and a JSON body with a FORGE_REQUEST error", async () => {
    const signer = new OAuth1Signer({ ...base, ...fixed, transmission: 'body' });
    await expect(
      signer.sign({ method: 'GET', url: 'https://api.example.com/' }),
    ).rejects.toMatchObject({
      code: 'FORGE_REQUEST',
      message: expect.stringContaining("use transmission 'header' or 'query'"),
    });
    await expect(
      signer.sign({
        method: 'POST',
        url: 'https://api.example.com/',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    ).rejects.toBeInstanceOf(ForgeError);
  });

  it('adds realm first, unencoded, and percent-encodes every value', async () => {
    const signed = await new OAuth1Signer({ ...base, ...fixed, realm: 'Photos API' }).sign(
      { method: 'GET', url: 'https://api.example.com/' },
      { token: { token: 'a b+c', tokenSecret: 's' } },
    );
    expect(signed.headers.authorization).toMatch(/^OAuth realm="Photos API", /);
    expect(signed.headers.authorization).toContain('oauth_token="a%20b%2Bc"');
  });
});

describe('oauth_body_hash', () => {
  it('refuses to hash a body the adapter did not hand over', async () => {
    const signer = new OAuth1Signer({ ...base, ...fixed, bodyHash: true });
    await expect(
      signer.sign({
        method: 'POST',
        url: 'https://api.example.com/',
        headers: { 'content-type': 'application/octet-stream' },
      }),
    ).rejects.toMatchObject({
      code: 'FORGE_REQUEST',
      message: expect.stringContaining('not bytes, streams or FormData'),
    });
  });
});

describe('configuration errors name the option', () => {
  it.each([
    [{ consumerKey: '' }, 'consumerKey'],
    [{ consumerKey: 'ck' }, 'consumerSecret'],
    [{ ...base, signatureMethod: 'HMAC-MD5' }, 'signatureMethod'],
    [{ ...base, signatureMethod: 'RSA-SHA1' }, 'privateKey'],
    [{ ...base, signatureMethod: 'RSA-SHA1', privateKey: 'not a pem' }, 'privateKey'],
    [{ ...base, signatureMethod: 'PLAINTEXT', bodyHash: true }, 'bodyHash'],
    [{ ...base, realm: 'a"b' }, 'realm'],
    [{ ...base, transmission: 'cookie' }, 'transmission'],
    [{ ...base, nonce: 'fixed' }, 'nonce'],
  ])('%o -> %s', (options, option) => {
    const error = configurationError(() => new OAuth1Signer(options as OAuth1SignerOptions));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(/^\[forge\] \[oauth1\] Invalid option `/);
    expect(error.message).not.toContain('cs-very-secret');
  });

  it('rejects an encrypted key, another PEM type and a damaged body', () => {
    const rsa = (privateKey: string) => () =>
      new OAuth1Signer({ consumerKey: 'ck', signatureMethod: 'RSA-SHA1', privateKey });
    const encrypted =
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----';
    expect(configurationError(rsa(encrypted)).message).toContain('decrypt it first');
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(configurationError(rsa(certificate)).message).toContain('CERTIFICATE');
    const damaged =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----';
    expect(configurationError(rsa(damaged)).option).toBe('privateKey');
  });

  it('rejects, at sign time, a nonce() or timestamp() that returns garbage', async () => {
    const badNonce = new OAuth1Signer({ ...base, nonce: () => '' });
    await expect(badNonce.sign({ method: 'GET', url: 'https://a.example/' })).rejects.toMatchObject(
      { option: 'nonce' },
    );
    const badTime = new OAuth1Signer({ ...base, timestamp: () => 'yesterday' });
    await expect(badTime.sign({ method: 'GET', url: 'https://a.example/' })).rejects.toMatchObject({
      option: 'timestamp',
    });
  });

  it('rejects extra protocol parameters that are not oauth_* or that the signer owns', async () => {
    const signer = new OAuth1Signer({ ...base, ...fixed });
    const request = { method: 'GET', url: 'https://a.example/' };
    await expect(signer.sign(request, { oauthParameters: { scope: 'x' } })).rejects.toMatchObject({
      option: 'oauthParameters.scope',
    });
    await expect(
      signer.sign(request, { oauthParameters: { oauth_nonce: 'x' } }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('RSA keys', () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const request = { method: 'POST', url: 'https://api.example.com/x?y=1' };

  it('accepts PKCS #1 ("RSA PRIVATE KEY") PEM by re-wrapping it as PKCS #8', async () => {
    const pkcs1 = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const signer = new OAuth1Signer({
      consumerKey: 'ck',
      signatureMethod: 'RSA-SHA256',
      privateKey: pkcs1,
      ...fixed,
    });
    const signed = await signer.sign(request);
    const signature = Buffer.from(signed.oauthParameters.oauth_signature!, 'base64');
    expect(verify('sha256', Buffer.from(signed.baseString), pair.publicKey, signature)).toBe(true);
  });

  it('accepts a CryptoKey imported for the right hash, and names privateKey for the wrong one', async () => {
    const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
    const importFor = (hash: string) =>
      crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
    const signer = new OAuth1Signer({
      consumerKey: 'ck',
      signatureMethod: 'RSA-SHA1',
      privateKey: await importFor('SHA-1'),
    });
    const signed = await signer.sign(request);
    const signature = Buffer.from(signed.oauthParameters.oauth_signature!, 'base64');
    expect(verify('sha1', Buffer.from(signed.baseString), pair.publicKey, signature)).toBe(true);
    const wrong = await importFor('SHA-256');
    const error = configurationError(
      () => new OAuth1Signer({ consumerKey: 'ck', signatureMethod: 'RSA-SHA1', privateKey: wrong }),
    );
    expect(error.message).toContain("hash: 'SHA-1'");
  });

  it('an EC key that looks like a PEM key fails on ready() with privateKey named, the key not shown', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const signer = new OAuth1Signer({
      consumerKey: 'ck',
      signatureMethod: 'RSA-SHA1',
      privateKey: ec,
    });
    const error = await signer.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ option: 'privateKey' });
    const body = ec.split('\n')[1]!;
    expect((error as Error).message).not.toContain(body);
  });
});

describe('inspection', () => {
  it('util.inspect and JSON.stringify never show a secret or a key', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    for (const signer of [
      new OAuth1Signer(base),
      new OAuth1Signer({ consumerKey: 'ck', signatureMethod: 'RSA-SHA1', privateKey: pem }),
    ]) {
      const shown = `${inspect(signer, { depth: 10, showHidden: true })} ${JSON.stringify(signer)}`;
      expect(shown).toContain('ck');
      expect(shown).not.toContain('cs-very-secret');
      expect(shown).not.toContain(pem.split('\n')[1]!);
    }
  });
});
