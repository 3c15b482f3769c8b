import { createHash, generateKeyPairSync } from 'node:crypto';
import { withForge as withForgeAxios } from '@forge/axios';
import { AuthenticationError, ForgeError, TokenEndpointError } from '@forge/core';
import { withForge as withForgeGot } from '@forge/got';
import { withForge as withForgeKy } from '@forge/ky';
import axios from 'axios';
import got from 'got';
import ky from 'ky';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuth1AuthorizerOptions, oauth1Authorizer } from '../src/authorizer/authorizer.js';
import { OAuth1Client } from '../src/flow/client.js';
import { type EchoBody, startTestProvider, type TestProvider } from './support/oauth1-server.js';

/*
 * Requests signed by @forge/oauth1 through the real axios, got and ky
 * adapters, verified by an independent RFC 5849 verifier (node:crypto) in a
 * provider on 127.0.0.1.
 */

const CONSUMER_SECRET = 'consumer secret & ✓ +/=';
let provider: TestProvider;
let access: { token: string; tokenSecret: string };
let rsaAccess: { token: string; tokenSecret: string };
let privateKey: string;

beforeAll(async () => {
  provider = await startTestProvider();
  provider.addConsumer('hmac-consumer', { secret: CONSUMER_SECRET });
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  provider.addConsumer('rsa-consumer', {
    secret: '',
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  access = provider.issueAccessToken('hmac-consumer');
  rsaAccess = provider.issueAccessToken('rsa-consumer');
});

afterAll(async () => {
  await provider?.close();
});

function authorizerFor(extra: Partial<OAuth1AuthorizerOptions> = {}) {
  return oauth1Authorizer({
    consumerKey: 'hmac-consumer',
    consumerSecret: CONSUMER_SECRET,
    token: access.token,
    tokenSecret: access.tokenSecret,
    policy: { origins: [provider.origin] },
    ...extra,
  });
}

/** The same calls through each adapter, so every adapter meets the same verifier. */
interface Client {
  getJson(path: string, query: [string, string][]): Promise<{ status: number; body: EchoBody }>;
  postForm(path: string, form: [string, string][]): Promise<{ status: number; body: EchoBody }>;
  /** A JSON value the client serializes: axios object `data`, got and ky `json`. */
  postJson(path: string, json: unknown): Promise<{ status: number; body: EchoBody }>;
  /** A string body with its content type. */
  postText(
    path: string,
    text: string,
    contentType: string,
  ): Promise<{ status: number; body: EchoBody }>;
}

/** The provider's echo, or the OAuth problem report of a refused request. */
function echoOf(text: string): EchoBody {
  return text.startsWith('{') ? (JSON.parse(text) as EchoBody) : ({ body: text } as EchoBody);
}

/** Changes a request after Forge signed it: its URL, or its (text) body. */
interface Tamper {
  readonly url?: (url: string) => string;
  readonly body?: (body: string) => string;
}

function axiosClient(options: Partial<OAuth1AuthorizerOptions>, tamper?: Tamper): Client {
  const plain = axios.create({ baseURL: provider.origin, validateStatus: () => true });
  // Registered first, so it runs after Forge's interceptor (axios runs request interceptors last-in first).
  if (tamper) {
    plain.interceptors.request.use((config) => {
      if (tamper.url) {
        config.url = tamper.url(plain.getUri(config));
        config.params = undefined;
      }
      if (tamper.body) config.data = tamper.body(config.data as string);
      return config;
    });
  }
  const api = withForgeAxios(plain, authorizerFor(options));
  const query = (q: [string, string][]) => (q.length ? `?${new URLSearchParams(q)}` : '');
  return {
    async getJson(path, q) {
      const response = await api.get(`${path}${query(q)}`);
      return { status: response.status, body: response.data };
    },
    async postForm(path, form) {
      const response = await api.post(path, new URLSearchParams(form));
      return { status: response.status, body: response.data };
    },
    async postJson(path, json) {
      const response = await api.post(path, json);
      return { status: response.status, body: response.data };
    },
    async postText(path, text, contentType) {
      const response = await api.post(path, text, { headers: { 'content-type': contentType } });
      return { status: response.status, body: response.data };
    },
  };
}

function gotClient(options: Partial<OAuth1AuthorizerOptions>, tamper?: Tamper): Client {
  const signed = withForgeGot(
    got.extend({ prefixUrl: provider.origin, throwHttpErrors: false, retry: { limit: 0 } }),
    authorizerFor(options),
  );
  // Hooks of an extension run after the parent's: the tampering comes after signing.
  const api = tamper
    ? signed.extend({
        hooks: {
          beforeRequest: [
            (opts) => {
              if (tamper.url) opts.url = new URL(tamper.url(String(opts.url)));
              if (tamper.body) opts.body = tamper.body(String(opts.body));
            },
          ],
        },
      })
    : signed;
  const read = async (promise: Promise<{ statusCode: number; body: string }>) => {
    const response = await promise;
    return { status: response.statusCode, body: echoOf(response.body) };
  };
  return {
    getJson: (path, q) => read(api.get(path.slice(1), { searchParams: new URLSearchParams(q) })),
    // got's `form` option takes an object, which cannot hold a repeated name.
    postForm: (path, form) =>
      read(
        api.post(path.slice(1), {
          body: new URLSearchParams(form).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      ),
    postJson: (path, json) => read(api.post(path.slice(1), { json })),
    postText: (path, text, contentType) =>
      read(api.post(path.slice(1), { body: text, headers: { 'content-type': contentType } })),
  };
}

function kyClient(options: Partial<OAuth1AuthorizerOptions>, tamper?: Tamper): Client {
  // Forge's ky signs in the fetch it wraps, after every hook: the tampering
  // comes after signing in the transport beneath it.
  const transport = tamper
    ? async (resource: string | URL | Request, init?: RequestInit) => {
        // Forge's fetch hands its transport a Request.
        const input = resource as Request;
        return fetch(
          new Request(tamper.url?.(input.url) ?? input.url, {
            method: input.method,
            headers: input.headers,
            redirect: input.redirect,
            body: tamper.body ? tamper.body(await input.clone().text()) : input.body,
            duplex: 'half',
          } as RequestInit),
          init,
        );
      }
    : undefined;
  const api = withForgeKy(
    ky.create({
      prefix: provider.origin,
      throwHttpErrors: false,
      retry: 1,
      ...(transport ? { fetch: transport } : {}),
    }),
    authorizerFor(options),
  );
  const read = async (response: Response) => ({
    status: response.status,
    body: echoOf(await response.text()),
  });
  return {
    getJson: async (path, q) =>
      read(await api.get(path.slice(1), { searchParams: new URLSearchParams(q) })),
    postForm: async (path, form) =>
      read(await api.post(path.slice(1), { body: new URLSearchParams(form) })),
    postJson: async (path, json) => read(await api.post(path.slice(1), { json })),
    postText: async (path, text, contentType) =>
      read(await api.post(path.slice(1), { body: text, headers: { 'content-type': contentType } })),
  };
}

const adapters = [
  ['axios', axiosClient],
  ['got', gotClient],
  ['ky', kyClient],
] as const;

const QUERY: [string, string][] = [
  ['file', 'vacation.jpg'],
  ['size', 'original'],
  ['tag', 'a b'],
  ['tag', 'über & co'],
  ['empty', ''],
  ['symbols', "!*'()+=/?"],
];

describe.each(adapters)('through @forge/%s', (_name, client) => {
  it('signs a GET with a query string (duplicates, empty values, non-ASCII, reserved characters)', async () => {
    const { status, body } = await client({}).getJson('/api/photos', QUERY);
    expect(status).toBe(200);
    expect(body.transmission).toBe('header');
    expect(body.parameters).toEqual(expect.arrayContaining(QUERY));
    expect(body.parameters).toHaveLength(QUERY.length);
  });

  it('signs a POST with a form body, the body parameters included in the signature', async () => {
    const form: [string, string][] = [
      ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
      ['status', 'twice'],
      ['note', ''],
    ];
    const { status, body } = await client({}).postForm('/api/statuses', form);
    expect(status).toBe(200);
    expect(body.parameters).toEqual(expect.arrayContaining(form));
    expect(body.baseString).toContain('status%3DHello%2520Ladies%2520%252B%2520Gentlemen');
  });

  it('signs with HMAC-SHA256 and sends the parameters in the query', async () => {
    const { status, body } = await client({
      signatureMethod: 'HMAC-SHA256',
      transmission: 'query',
    }).getJson('/api/photos', QUERY);
    expect(status).toBe(200);
    expect(body.signatureMethod).toBe('HMAC-SHA256');
    expect(body.transmission).toBe('query');
  });

  it('signs with RSA-SHA256 and sends the parameters in the form body', async () => {
    const { status, body } = await client({
      consumerKey: 'rsa-consumer',
      consumerSecret: undefined,
      signatureMethod: 'RSA-SHA256',
      privateKey,
      token: rsaAccess.token,
      tokenSecret: undefined,
      transmission: 'body',
    }).postForm('/api/statuses', [['status', 'signed with RSA']]);
    expect(status).toBe(200);
    expect(body.signatureMethod).toBe('RSA-SHA256');
    expect(body.transmission).toBe('body');
  });

  it('corrects a clock the provider refuses (oauth_acceptable_timestamps) and retries once', async () => {
    const before = provider.rejections.length;
    const anHourLate = () => Math.floor(Date.now() / 1000) - 3600;
    const { status } = await client({ timestamp: anHourLate }).getJson('/api/photos', QUERY);
    expect(status).toBe(200);
    expect(provider.rejections.slice(before)).toEqual(['timestamp_refused']);
  });

  it('is rejected (401) when a parameter changes after signing', async () => {
    const before = provider.rejections.length;
    const tamper = { url: (url: string) => url.replace('size=original', 'size=large') };
    const { status } = await client({}, tamper).getJson('/api/photos', QUERY);
    expect(status).toBe(401);
    expect(provider.rejections.slice(before)).toEqual(['signature_invalid']);
  });

  it('covers a JSON value the client serializes with oauth_body_hash (SHA-1)', async () => {
    const json = { text: 'héllo ✓ & co', list: [1, 2, 3], nested: { none: null } };
    const { status, body } = await client({ bodyHash: true }).postJson('/api/items?x=1', json);
    expect(status).toBe(200);
    expect(JSON.parse(body.body)).toEqual(json);
    expect(body.bodyHash).toBe(createHash('sha1').update(body.body).digest('base64'));
    expect(body.parameters).toEqual([['x', '1']]);
  });

  it('covers string JSON and text bodies with oauth_body_hash (HMAC-SHA256, SHA-256 hash)', async () => {
    const api = client({ bodyHash: true, signatureMethod: 'HMAC-SHA256' });
    const text = '{"amount":1,"note":"ünïcode"}';
    const json = await api.postText('/api/items', text, 'application/json');
    expect(json.status).toBe(200);
    expect(json.body.body).toBe(text);
    expect(json.body.bodyHash).toBe(createHash('sha256').update(text).digest('base64'));
    const plain = await api.postText('/api/notes', 'a=1 is not a form here', 'text/plain');
    expect(plain.status).toBe(200);
    expect(plain.body.parameters).toEqual([]);
    expect(plain.body.bodyHash).toBe(
      createHash('sha256').update('a=1 is not a form here').digest('base64'),
    );
  });

  it('keeps signing form parameters (and no body hash) for a form body with bodyHash on', async () => {
    const form: [string, string][] = [['status', 'form with bodyHash on']];
    const { status, body } = await client({ bodyHash: true }).postForm('/api/statuses', form);
    expect(status).toBe(200);
    expect(body.parameters).toEqual(form);
    expect(body.bodyHash).toBeUndefined();
  });

  it('is rejected (401 body_hash_invalid) when the JSON body changes after signing', async () => {
    const before = provider.rejections.length;
    const tamper = { body: (body: string) => body.replace('"amount":1', '"amount":1000') };
    const { status } = await client({ bodyHash: true }, tamper).postJson('/api/payments', {
      amount: 1,
    });
    expect(status).toBe(401);
    expect(provider.rejections.slice(before)).toEqual(['body_hash_invalid']);
  });

  it('refuses to put the signature in a JSON body (transmission body) instead of replacing the body', async () => {
    const error = await client({ transmission: 'body' })
      .postJson('/api/items', { keep: 'me' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ForgeError);
    expect((error as ForgeError).code).toBe('FORGE_REQUEST');
  });
});

describe('@forge/ky signs what its hooks made', () => {
  it("signs the URL and JSON body a hook after Forge's replaced (signing happens in fetch)", async () => {
    const before = provider.rejections.length;
    const api = withForgeKy(
      ky.create({ prefix: provider.origin, throwHttpErrors: false }),
      authorizerFor({ bodyHash: true }),
    ).extend({
      hooks: {
        beforeRequest: [
          async ({ request }) =>
            new Request(request.url.replace('x=1', 'x=2'), {
              method: request.method,
              headers: request.headers,
              body: (await request.clone().text()).replace('"amount":1', '"amount":1000'),
            }),
        ],
      },
    });
    const response = await api.post('api/payments', {
      searchParams: { x: '1' },
      json: { amount: 1 },
    });
    expect(response.status).toBe(200);
    const echo = echoOf(await response.text());
    expect(echo.parameters).toEqual([['x', '2']]);
    expect(JSON.parse(echo.body)).toEqual({ amount: 1000 });
    expect(echo.bodyHash).toBe(createHash('sha1').update(echo.body).digest('base64'));
    expect(provider.rejections.slice(before)).toEqual([]);
  });
});

describe('the authorizer with fetch, as any adapter drives it', () => {
  it('covers a JSON body with oauth_body_hash', async () => {
    const authorizer = authorizerFor({ bodyHash: true });
    const body = JSON.stringify({ text: 'héllo', list: [1, 2, 3] });
    const url = `${provider.origin}/api/items?x=1`;
    const headers = { 'content-type': 'application/json' };
    const authorization = await authorizer.authorize({
      method: 'POST',
      url,
      headers,
      body,
      attempt: 0,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, ...authorization?.headers },
      body,
    });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as EchoBody;
    expect(echo.body).toBe(body);
    expect(echo.bodyHash).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('is rejected when the JSON body changes after signing', async () => {
    const authorizer = authorizerFor({ bodyHash: true });
    const url = `${provider.origin}/api/items`;
    const headers = { 'content-type': 'application/json' };
    const authorization = await authorizer.authorize({
      method: 'POST',
      url,
      headers,
      body: '{"amount":1}',
      attempt: 0,
    });
    const before = provider.rejections.length;
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, ...authorization?.headers },
      body: '{"amount":1000}',
    });
    expect(response.status).toBe(401);
    expect(provider.rejections.slice(before)).toEqual(['body_hash_invalid']);
  });

  it('does not sign requests the policy excludes', async () => {
    const authorizer = authorizerFor({
      policy: { origins: [provider.origin], excludedPaths: ['/api/public'] },
    });
    const base = { method: 'GET', headers: {}, attempt: 0 };
    expect(
      await authorizer.authorize({ ...base, url: 'https://elsewhere.example/api/me' }),
    ).toBeUndefined();
    expect(
      await authorizer.authorize({ ...base, url: `${provider.origin}/api/public` }),
    ).toBeUndefined();
    expect(await authorizer.authorize({ ...base, url: `${provider.origin}/api/me` })).toBeDefined();
    expect(authorizer.mayRedirect?.(`${provider.origin}/a`, 'https://elsewhere.example/a')).toBe(
      false,
    );
  });
});

describe('the three-legged flow against the test provider', () => {
  const clientFor = (overrides: Partial<ConstructorParameters<typeof OAuth1Client>[0]> = {}) =>
    new OAuth1Client({
      serviceName: 'photos',
      consumerKey: 'hmac-consumer',
      consumerSecret: CONSUMER_SECRET,
      requestTokenUrl: `${provider.origin}/oauth/request_token`,
      authorizationUrl: `${provider.origin}/oauth/authorize`,
      accessTokenUrl: `${provider.origin}/oauth/access_token`,
      ...overrides,
    });

  async function approve(client: OAuth1Client, authorizationUrl: string) {
    // The user approves on the provider's page, which redirects to the callback.
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    return client.callbackParameters(response.headers.get('location')!);
  }

  it('gets temporary credentials, sends the user, exchanges the verifier, then calls the API through each adapter', async () => {
    const client = clientFor();
    const requestToken = await client.requestToken({
      callback: 'https://app.example/callback?session=1',
    });
    expect(requestToken.token).toMatch(/^[0-9a-f]{24}$/);
    const url = client.authorizationUrl(requestToken);
    expect(url).toBe(`${provider.origin}/oauth/authorize?oauth_token=${requestToken.token}`);
    const { token, verifier } = await approve(client, url);
    expect(token).toBe(requestToken.token);
    const accessToken = await client.accessToken({ requestToken, verifier });
    expect(accessToken.extra).toEqual({ user_id: '42', screen_name: 'ada' });

    const authorizer = client.authorizer(accessToken, { policy: { origins: [provider.origin] } });
    const viaAxios = withForgeAxios(axios.create({ baseURL: provider.origin }), authorizer);
    expect((await viaAxios.get('/api/me?x=1')).status).toBe(200);
    const viaGot = withForgeGot(got.extend({ prefixUrl: provider.origin }), authorizer);
    expect((await viaGot.get('api/me', { searchParams: { x: '1' } })).statusCode).toBe(200);
    const viaKy = withForgeKy(ky.create({ prefix: provider.origin }), authorizer);
    expect((await viaKy.get('api/me', { searchParams: { x: '1' } })).status).toBe(200);
  });

  it('sends the access-token request in the form body when asked, and works with oob', async () => {
    const client = clientFor({ transmission: 'body', signatureMethod: 'PLAINTEXT' });
    const requestToken = await client.requestToken({ callback: 'oob' });
    const response = await fetch(client.authorizationUrl(requestToken.token));
    const verifier = new URLSearchParams(await response.text()).get('oauth_verifier')!;
    const accessToken = await client.accessToken({ requestToken, verifier });
    expect(accessToken.token).toMatch(/^[0-9a-f]{24}$/);
  });

  it('a wrong verifier is an AuthenticationError with the status and oauth_problem', async () => {
    const client = clientFor();
    const requestToken = await client.requestToken({ callback: 'oob' });
    const error = await client
      .accessToken({ requestToken, verifier: 'guessed' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ serviceName: 'photos', status: 401, error: 'verifier_invalid' });
  });

  it('a wrong consumer secret is refused, and the message carries no secret', async () => {
    const client = clientFor({ consumerSecret: 'not-the-secret' });
    const error = await client.requestToken({ callback: 'oob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, error: 'signature_invalid' });
    expect((error as Error).message).toContain('[forge] [oauth1]');
    expect((error as Error).message).not.toContain('not-the-secret');
  });

  it('answers without oauth_token_secret or without the callback confirmation are AuthenticationErrors', async () => {
    const client = clientFor();
    provider.failNext('/oauth/request_token', 200, 'oauth_token=abc&oauth_callback_confirmed=true');
    await expect(client.requestToken({ callback: 'oob' })).rejects.toMatchObject({
      name: 'AuthenticationError',
      status: 200,
      error: 'invalid_response',
      message: expect.stringContaining('oauth_token_secret'),
    });
    provider.failNext(
      '/oauth/request_token',
      200,
      'oauth_token=abc&oauth_token_secret=very-secret-value',
    );
    const error = await client.requestToken({ callback: 'oob' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AuthenticationError', error: 'callback_not_confirmed' });
    expect((error as Error).message).not.toContain('very-secret-value');
  });

  it('a 503 or 429 is a transient TokenEndpointError; an unreachable endpoint too', async () => {
    const client = clientFor();
    provider.failNext('/oauth/request_token', 503, 'down');
    await expect(client.requestToken({ callback: 'oob' })).rejects.toMatchObject({
      reason: 'server',
      status: 503,
    });
    provider.failNext('/oauth/request_token', 429, 'slow down');
    const limited = await client.requestToken({ callback: 'oob' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(TokenEndpointError);
    expect(limited).toMatchObject({ reason: 'rate-limited' });
    const offline = clientFor({ requestTokenUrl: 'http://127.0.0.1:1/oauth/request_token' });
    await expect(offline.requestToken({ callback: 'oob' })).rejects.toMatchObject({
      name: 'TokenEndpointError',
      reason: 'network',
    });
  });

  it('reads oauth_problem from WWW-Authenticate and redacts the advice', async () => {
    const client = clientFor();
    provider.failNext(
      '/oauth/request_token',
      400,
      `oauth_problem_advice=bad+secret+${encodeURIComponent(CONSUMER_SECRET)}`,
      {
        'www-authenticate': 'OAuth realm="x", oauth_problem="consumer_key_refused"',
      },
    );
    const error = await client.requestToken({ callback: 'oob' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, error: 'consumer_key_refused' });
    expect((error as AuthenticationError).errorDescription).not.toContain(CONSUMER_SECRET);
  });
});
