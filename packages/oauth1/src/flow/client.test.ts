import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { AuthenticationError, ConfigurationError, TokenEndpointError } from '@forge/core';
import { describe, expect, it } from 'vitest';
import { OAuth1Client, type OAuth1ClientOptions } from './client.js';
import { OAuth1Token } from './token.js';

const options: OAuth1ClientOptions = {
  consumerKey: 'ck',
  consumerSecret: 'consumer-secret-value',
  requestTokenUrl: 'https://provider.example/oauth/request_token',
  authorizationUrl: 'https://provider.example/oauth/authorize?lang=en',
  accessTokenUrl: 'https://provider.example/oauth/access_token',
};

describe('OAuth1Client', () => {
  it.each([
    [{ requestTokenUrl: '/relative' }, 'requestTokenUrl'],
    [{ accessTokenUrl: 'ftp://x.example/' }, 'accessTokenUrl'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ method: 'PUT' }, 'method'],
    [{ method: 'GET', transmission: 'body' }, 'transmission'],
    [{ serviceName: '' }, 'serviceName'],
    [{ signatureMethod: 'RSA-SHA1' }, 'privateKey'],
  ])('configuration error %#: %s', (override, option) => {
    expect(() => new OAuth1Client({ ...options, ...override } as OAuth1ClientOptions)).toThrow(
      expect.objectContaining({ option }),
    );
  });

  it('validates the calls: callback, requestToken, verifier', async () => {
    const client = new OAuth1Client(options);
    await expect(client.requestToken({ callback: 'not a url' })).rejects.toMatchObject({
      option: 'callback',
    });
    await expect(
      client.accessToken({ requestToken: { token: 't', tokenSecret: 's' }, verifier: '' }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect(() => client.authorizationUrl('')).toThrow(
      expect.objectContaining({ option: 'requestToken' }),
    );
  });

  it('builds the authorization URL on top of the endpoint’s own query', () => {
    const client = new OAuth1Client(options);
    expect(client.authorizationUrl(new OAuth1Token('req', 's'), { force_login: 'true' })).toBe(
      'https://provider.example/oauth/authorize?lang=en&oauth_token=req&force_login=true',
    );
  });

  it('reads the callback, and treats a callback without verifier as a denial', () => {
    const client = new OAuth1Client(options);
    expect(
      client.callbackParameters('https://app.example/cb?oauth_token=t&oauth_verifier=v'),
    ).toEqual({
      token: 't',
      verifier: 'v',
    });
    expect(() => client.callbackParameters('https://app.example/cb?denied=t')).toThrow(
      AuthenticationError,
    );
  });

  it('gives up after timeoutMs with a TokenEndpointError', async () => {
    const server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const client = new OAuth1Client({
        ...options,
        requestTokenUrl: `http://127.0.0.1:${port}/oauth/request_token`,
        timeoutMs: 50,
      });
      const error = await client.requestToken({ callback: 'oob' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ reason: 'timeout' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never shows the consumer secret when inspected', () => {
    const shown = inspect(new OAuth1Client(options), { depth: 10, showHidden: true });
    expect(shown).toContain('ck');
    expect(shown).not.toContain('consumer-secret-value');
  });
});

describe('OAuth1Token', () => {
  it('round-trips through JSON and hides the secret from inspect and toString', () => {
    const token = new OAuth1Token('tok', 'token-secret-value', { user_id: '42' });
    const again = OAuth1Token.fromJSON(JSON.parse(JSON.stringify(token)));
    expect(again).toEqual(token);
    expect(inspect(token)).not.toContain('token-secret-value');
    expect(String(token)).not.toContain('token-secret-value');
    expect(Object.isFrozen(token)).toBe(true);
  });
});
