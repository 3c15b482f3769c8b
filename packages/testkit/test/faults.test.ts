import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthServer, startAuthServer, TestkitError } from '../src/index.js';
import { privateKeyJwt, tokenRequest } from './helpers.js';

let auth: AuthServer;
beforeAll(async () => {
  auth = await startAuthServer();
});
afterEach(() => {
  auth.faults.clear();
  auth.resetCounters();
});
afterAll(() => auth.close());

const ccParams = () => ({
  grant_type: 'client_credentials',
  client_id: auth.clients.post.clientId,
  client_secret: auth.clients.post.clientSecret,
});

function post(init: RequestInit = {}): Promise<Response> {
  return fetch(auth.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams(ccParams()),
    ...init,
  });
}

describe('fault modes', () => {
  it('status500: a JSON server_error, with Retry-After when asked', async () => {
    auth.faults.set({ mode: 'status500', retryAfter: '3' });
    const res = await post();
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ error: 'server_error' });
  });

  it('status503: a JSON temporarily_unavailable', async () => {
    auth.faults.set({ mode: 'status503' });
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('status429 with Retry-After in seconds or as an HTTP date', async () => {
    const date = new Date(Date.now() + 5_000).toUTCString();
    for (const retryAfter of ['2', date]) {
      auth.faults.set({ mode: 'status429', retryAfter });
      const res = await post();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe(retryAfter);
      expect(await res.json()).toMatchObject({ error: 'slow_down' });
    }
  });

  it('malformed-json: 200 application/json that does not parse', async () => {
    auth.faults.set({ mode: 'malformed-json' });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('html: an HTML error page, 502 by default or the status asked for', async () => {
    auth.faults.set({ mode: 'html' });
    const res = await post();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<html>');
    auth.faults.set({ mode: 'html', status: 401 });
    expect((await post()).status).toBe(401);
  });

  it('empty: no body at all, 500 by default or the status asked for', async () => {
    auth.faults.set({ mode: 'empty' });
    const res = await post();
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('');
    auth.faults.set({ mode: 'empty', status: 400 });
    const bad = await post();
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('');
  });

  it('reset: the connection is dropped without a response', async () => {
    auth.faults.set({ mode: 'reset' });
    const error = await post().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(error?.cause?.code);
  });

  it('hang: no answer until the client gives up; counted while it hangs', async () => {
    auth.faults.set({ mode: 'hang' });
    const pending = post({ signal: AbortSignal.timeout(300) });
    await vi.waitFor(() => expect(auth.tokenRequests({ faulted: true })).toBe(1), {
      timeout: 2_000,
      interval: 10,
    });
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('delay', () => {
  it('the real endpoint answers, after delayMs', async () => {
    auth.faults.set({ mode: 'delay', delayMs: 150, times: 1 });
    const started = performance.now();
    const res = await post();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer' });
    expect(auth.tokenRequests({ faulted: false })).toBe(1);
  });

  it('requires delayMs', () => {
    expect(() => auth.faults.set({ mode: 'delay' })).toThrow(/delayMs/);
  });
});

describe('fault switch', () => {
  it('times: faults that many requests, then clears itself', async () => {
    auth.faults.set({ mode: 'status500', times: 2 });
    expect(auth.faults.active).toMatchObject({ mode: 'status500', times: 2 });
    expect((await post()).status).toBe(500);
    expect(auth.faults.active?.times).toBe(1);
    expect((await post()).status).toBe(500);
    expect(auth.faults.active).toBeUndefined();
    expect((await post()).status).toBe(200);
  });

  it('clear() and set() replace the fault in force', async () => {
    auth.faults.set({ mode: 'status500' });
    auth.faults.set({ mode: 'status429' });
    expect((await post()).status).toBe(429);
    expect((await post()).status).toBe(429);
    auth.faults.clear();
    expect((await post()).status).toBe(200);
  });

  it('only the token endpoint is affected', async () => {
    auth.faults.set({ mode: 'status500' });
    const discovery = await fetch(`${auth.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
  });

  it('rejects invalid faults with a TestkitError naming the option', () => {
    const set = (fault: unknown) => () => auth.faults.set(fault as never);
    expect(set({ mode: 'explode' })).toThrow(TestkitError);
    expect(set({ mode: 'explode' })).toThrow(/faults\.set\(\{ mode \}\)/);
    expect(set({ mode: 'status429', times: 0 })).toThrow(/times/);
    expect(set({ mode: 'status429', retryAfter: 'soon' })).toThrow(/retryAfter/);
    expect(set({ mode: 'html', status: 99 })).toThrow(/status/);
    expect(auth.faults.active).toBeUndefined();
  });
});

describe('counters', () => {
  it('count every token request per client and grant type, faulted ones included', async () => {
    await tokenRequest(auth, ccParams());
    await tokenRequest(auth, { grant_type: 'client_credentials' }, auth.clients.basic);
    await tokenRequest(
      auth,
      { grant_type: 'password', username: 'alice', password: 'alice-password' },
      auth.clients.basic,
    );
    auth.faults.set({ mode: 'status500', times: 1 });
    await tokenRequest(auth, ccParams());
    await tokenRequest(
      auth,
      { grant_type: 'client_credentials' },
      { ...auth.clients.basic, clientSecret: 'wrong' },
    );

    expect(auth.tokenRequests()).toBe(5);
    expect(auth.tokenRequests(auth.clients.post.clientId)).toBe(2);
    expect(auth.tokenRequests(auth.clients.basic.clientId)).toBe(3);
    expect(auth.tokenRequests({ clientId: auth.clients.basic.clientId, status: 401 })).toBe(1);
    expect(auth.tokenRequests({ faulted: true })).toBe(1);
    expect(auth.tokenRequestsByGrantType()).toEqual({ client_credentials: 4, password: 1 });
    expect(auth.tokenRequests({ grantType: 'password' })).toBe(1);
  });

  it('the log never holds a secret or a token', async () => {
    const res = await tokenRequest(auth, ccParams());
    const log = JSON.stringify(auth.tokenRequestLog());
    expect(log).not.toContain(auth.clients.post.clientSecret);
    expect(log).not.toContain(String(res.body.access_token));
    expect(auth.tokenRequestLog()).toEqual([
      {
        clientId: auth.clients.post.clientId,
        grantType: 'client_credentials',
        status: 200,
        faulted: false,
      },
    ]);
  });

  it('resetCounters() starts again from zero', async () => {
    await tokenRequest(auth, ccParams());
    auth.resetCounters();
    expect(auth.tokenRequests()).toBe(0);
    expect(auth.tokenRequestsByGrantType()).toEqual({});
  });

  it('identifies the client of a JWT-authenticated request from its assertion', async () => {
    await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await privateKeyJwt(auth, auth.clients.privateKeyJwt),
    });
    expect(auth.tokenRequests(auth.clients.privateKeyJwt.clientId)).toBe(1);
  });
});
