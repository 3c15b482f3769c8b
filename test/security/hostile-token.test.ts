// A token endpoint (a loopback server we control, standing in for a
// compromised or buggy authorization server) answers 200 with an
// `access_token` or `token_type` that is no valid header value. Every adapter
// must hand its caller a typed ForgeError (Express: the problem 502), send no
// request with such a header, quote the token nowhere in the error, and keep
// the process alive.
import { randomBytes } from 'node:crypto';
import { ClientCredentialsTokenProvider, ForgeError } from '@forge/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindings, ExpressFailure } from './adapters.js';
import { type LoopbackServer, startRecordingAPI, startTokenEndpoint } from './attackers.js';
import { watchCrashes } from './core-support.js';
import { attempt, everythingAbout } from './support.js';

interface Hostile {
  readonly name: string;
  /** The distinctive part of the token, which must appear in no error. */
  readonly needle: string;
  readonly response: Record<string, unknown>;
}

function hostileResponses(): Hostile[] {
  const needle = () => `hostile${randomBytes(12).toString('hex')}`;
  const token = (name: string, accessToken: (needle: string) => string): Hostile => {
    const value = needle();
    return {
      name,
      needle: value,
      response: { access_token: accessToken(value), token_type: 'Bearer', expires_in: 3600 },
    };
  };
  const tokenType = (name: string, type: string): Hostile => {
    const value = needle();
    return {
      name,
      needle: value,
      response: { access_token: value, token_type: type, expires_in: 3600 },
    };
  };
  return [
    token('CR/LF in access_token', (n) => `${n}\r\nX-Injected: 1`),
    token('LF in access_token', (n) => `${n}\nX-Injected: 1`),
    token('NUL in access_token', (n) => `${n}\u0000tail`),
    token('another control character in access_token', (n) => `${n}\u0007tail`),
    token('a tab in access_token', (n) => `${n}\ttail`),
    token('DEL in access_token', (n) => `${n}\u007ftail`),
    token('non-ASCII (Latin-1) access_token', (n) => `${n}ötail`),
    token('non-ASCII (beyond Latin-1) access_token', (n) => `${n}\u2603tail`),
    tokenType('a space in token_type', 'Bearer x'),
    tokenType('CR/LF in token_type', 'Bearer\r\nX-Injected: 1'),
  ];
}

let api: LoopbackServer;

beforeAll(async () => {
  api = await startRecordingAPI();
});

afterAll(async () => {
  await api?.close();
});

describe('a token that is no valid header value is a typed error, never a header', () => {
  for (const binding of bindings) {
    it(`${binding.name}: typed error, nothing sent, no token in the error, no crash`, async () => {
      const crashes = watchCrashes();
      const hostile = hostileResponses();
      const failures: string[] = [];
      try {
        for (const { name, needle, response } of hostile) {
          const endpoint = await startTokenEndpoint(() => ({ body: response }));
          const provider = new ClientCredentialsTokenProvider({
            serviceName: 'api',
            clientId: 'hostile-test',
            clientSecret: 'hostile-test-secret',
            tokenEndpoint: `${endpoint.url}/token`,
            timeoutMs: 2_000,
            retry: false,
          });
          const client = await binding.make(api.url, provider);
          try {
            const outcome = await attempt(client.get('/orders'));
            const error =
              outcome.thrown instanceof ExpressFailure
                ? outcome.thrown.handlerError
                : outcome.thrown;
            if (outcome.reply !== undefined) {
              failures.push(`${name}: the request went out and answered ${outcome.reply.status}`);
            } else if (!(error instanceof ForgeError)) {
              failures.push(`${name}: the caller got ${inspectName(error)}, not a ForgeError`);
            }
            if (outcome.thrown instanceof ExpressFailure) {
              const { status, headers, body } = outcome.thrown;
              if (status !== 502 || !headers['content-type']?.includes('problem+json')) {
                failures.push(`${name}: Express answered ${status} ${headers['content-type']}`);
              }
              if (body.includes(needle))
                failures.push(`${name}: the response body quotes the token`);
            }
            if (outcome.thrown !== undefined && everythingAbout(outcome.thrown).includes(needle)) {
              failures.push(`${name}: the error quotes the token`);
            }
            if (error !== outcome.thrown && everythingAbout(error).includes(needle)) {
              failures.push(`${name}: the handler's error quotes the token`);
            }
            // Let a crash from a late callback of this case surface before the next.
            await new Promise((resolve) => setTimeout(resolve, 20));
          } finally {
            await client.close();
            await endpoint.close();
          }
        }
        const sent = api.received.filter(
          (r) =>
            r.headers['x-injected'] !== undefined ||
            hostile.some(({ needle }) => r.authorization?.includes(needle)),
        );
        expect({
          failures,
          sentWithTheHostileHeader: sent.map((r) => r.target),
          crashes: crashes.crashes.map(inspectName),
        }).toEqual({ failures: [], sentWithTheHostileHeader: [], crashes: [] });
      } finally {
        crashes.stop();
      }
    });
  }
});

function inspectName(value: unknown): string {
  if (value instanceof Error) return `${value.constructor.name} (${value.name})`;
  return typeof value;
}
