import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigurationError, createRequestPolicy } from '@forge/core';
import { describe, expect, it } from 'vitest';
import {
  createOAuth1Authorizer,
  type OAuth1AuthorizerOptions,
  oauth1Authorizer,
} from './authorizer.js';

const options: OAuth1AuthorizerOptions = {
  consumerKey: 'ck',
  consumerSecret: 'consumer-secret-value',
  token: 'tok',
  tokenSecret: 'token-secret-value',
};
const request = { method: 'GET', url: 'https://api.example.com/a?b=1', headers: {}, attempt: 0 };

describe('oauth1Authorizer', () => {
  it('returns only headers for header transmission, the URL for query, the body for body', async () => {
    const header = await oauth1Authorizer(options).authorize(request);
    expect(Object.keys(header ?? {})).toEqual(['headers']);
    expect(header?.headers.authorization).toMatch(/^OAuth /);
    const query = await oauth1Authorizer({ ...options, transmission: 'query' }).authorize(request);
    expect(query?.headers).toEqual({});
    expect(query?.url).toMatch(/^https:\/\/api\.example\.com\/a\?b=1&oauth_consumer_key=ck&/);
    const body = await oauth1Authorizer({ ...options, transmission: 'body' }).authorize({
      ...request,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q: 'x' }),
    });
    expect(body?.body).toMatch(/^q=x&oauth_consumer_key=ck&/);
    expect(body?.url).toBeUndefined();
  });

  it('follows a built policy and leaves a caller-set Authorization alone', async () => {
    const policy = createRequestPolicy({
      baseURL: 'https://api.example.com',
      excludedPathPatterns: ['/public/**'],
    });
    const authorizer = oauth1Authorizer({ ...options, policy });
    expect(authorizer.policy).toBe(policy);
    expect(
      await authorizer.authorize({ ...request, url: 'https://api.example.com/public/x' }),
    ).toBeUndefined();
    expect(
      await authorizer.authorize({ ...request, headers: { authorization: 'Basic x' } }),
    ).toBeUndefined();
    expect(await authorizer.authorize(request)).toBeDefined();
  });

  it.each([
    [{ ...options, tokenSecret: undefined }, 'tokenSecret'],
    [{ ...options, token: undefined }, 'token'],
    [{ ...options, token: '' }, 'token'],
    [{ ...options, signatureMethod: 'PLAINTEXT' as const }, 'policy'],
    [{ ...options, policy: { origins: ['ftp://files.example'] } }, 'policy.origins[0]'],
  ])('configuration error %#: %s', (bad, option) => {
    let caught: unknown;
    try {
      oauth1Authorizer(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect(caught).toMatchObject({ option });
    expect(String((caught as Error).message)).toMatch(/^\[forge\] \[oauth1\]/);
  });

  it('RSA needs no token secret', () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() =>
      oauth1Authorizer({
        consumerKey: 'ck',
        signatureMethod: 'RSA-SHA1',
        privateKey,
        token: 'tok',
      }),
    ).not.toThrow();
  });

  it('util.inspect and JSON.stringify show no secret', () => {
    const authorizer = oauth1Authorizer(options);
    const shown = `${inspect(authorizer, { depth: 10, showHidden: true })} ${JSON.stringify(authorizer)}`;
    expect(shown).toContain('HMAC-SHA1');
    expect(shown).not.toContain('consumer-secret-value');
    expect(shown).not.toContain('token-secret-value');
  });
});

describe('createOAuth1Authorizer', () => {
  it('imports the RSA key up front, rejecting one Web Crypto cannot use', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await expect(
      createOAuth1Authorizer({ consumerKey: 'ck', signatureMethod: 'RSA-SHA256', privateKey: ec }),
    ).rejects.toMatchObject({ name: 'ConfigurationError', option: 'privateKey' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const authorizer = await createOAuth1Authorizer({
      consumerKey: 'ck',
      signatureMethod: 'RSA-SHA256',
      privateKey: rsa,
    });
    expect((await authorizer.authorize(request))?.headers.authorization).toContain('RSA-SHA256');
  });
});
