// A token endpoint that echoes the client secret back in the OAuth `error`
// field (JSON body or WWW-Authenticate challenge), pads it to 10 KB or breaks
// it with CR/LF. Whatever it sends, the secret must not reach the error, its
// JSON or inspection, the manager's `failed` event, or an Express problem body.
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import {
  AuthenticationError,
  ClientCredentialsTokenProvider,
  type TokenFailedEvent,
  TokenManager,
} from '@forge/core';
import { createForge, forgeErrorHandler } from '@forge/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Attacker, expressApp, listen, rejection, startAttacker } from './core-support.js';

// Only characters RFC 6749 allows in an `error` code, so the code check alone cannot drop it.
const SECRET = 'oauth-err-secret-Q7x9mT2v';
const RFC6749_ERROR = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

type Answer = (res: ServerResponse) => void;

const jsonAnswer =
  (status: number, body: Record<string, unknown>): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

const padded = `${'x'.repeat(5_000)}${SECRET}${'x'.repeat(5_000)}`;
const broken = `invalid_client\r\nclient_secret=${SECRET}`;

// Each hostile shape is sent in every carrier listed with it, one request each.
const HOSTILE: readonly (readonly [string, readonly Answer[]])[] = [
  [
    '400 with error "client_secret=<secret>"',
    [jsonAnswer(400, { error: `client_secret=${SECRET}` })],
  ],
  ['400 with the secret as the error', [jsonAnswer(400, { error: SECRET })]],
  [
    '401 with only `WWW-Authenticate: Basic error="<secret>"`',
    [
      (res) => {
        res.writeHead(401, { 'www-authenticate': `Basic error="${SECRET}"` }).end();
      },
      (res) => {
        res
          .writeHead(401, {
            'www-authenticate': `Basic realm="api", error="client_secret=${SECRET}"`,
          })
          .end();
      },
    ],
  ],
  // On a 400 today's code check already turns these into a placeholder; next
  // to an access_token on a 200 they must not pass as a token either.
  [
    'a 10 KB error around the secret (on a 400, and on a 200 with an access_token)',
    [
      jsonAnswer(400, { error: padded }),
      jsonAnswer(200, { access_token: 'tok', expires_in: 3600, error: padded }),
    ],
  ],
  [
    'an error with CR/LF and the secret (on a 400, and on a 200 with an access_token)',
    [
      jsonAnswer(400, { error: broken }),
      jsonAnswer(200, { access_token: 'tok', expires_in: 3600, error: broken }),
    ],
  ],
];

describe('OAuth error responses: the `error` code is validated and redacted', () => {
  let answer: Answer;
  let tokenEndpoint: Attacker;
  let upstream: Attacker;

  beforeAll(async () => {
    tokenEndpoint = await startAttacker((_req, res) => answer(res));
    upstream = await startAttacker((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  afterAll(async () => {
    await tokenEndpoint.close();
    await upstream.close();
  });

  const provider = (): ClientCredentialsTokenProvider =>
    new ClientCredentialsTokenProvider({
      serviceName: 'billing',
      clientId: 'billing-client',
      clientSecret: SECRET,
      tokenEndpoint: `${tokenEndpoint.url}/token`,
      timeoutMs: 5_000,
      retry: false,
    });

  for (const [name, carriers] of HOSTILE) {
    it(`${name}: no secret in the error, its JSON, inspection or the failed event`, async () => {
      for (const carrier of carriers) {
        answer = carrier;
        const manager = new TokenManager(provider());
        const events: TokenFailedEvent[] = [];
        manager.on('failed', (event) => events.push(event));
        try {
          const error = await rejection(manager.getToken());
          expect(error).toBeInstanceOf(AuthenticationError);
          const { error: code, errorDescription, message } = error as AuthenticationError;
          if (code !== undefined) {
            expect(code).toMatch(RFC6749_ERROR);
            expect(code.length).toBeLessThanOrEqual(128);
          }
          expect(events).toHaveLength(1);
          const seen = [
            code ?? '',
            errorDescription ?? '',
            message,
            JSON.stringify(error),
            inspect(error, { depth: 8 }),
            JSON.stringify(events),
            inspect(events, { depth: 8 }),
          ];
          for (const text of seen) expect(text).not.toContain(SECRET);
        } finally {
          await manager.close();
        }
      }
    });
  }

  it('the Express problem+json after `req.forge.fetch` never carries the secret', async () => {
    const leaks: string[] = [];
    for (const [name, carrier] of HOSTILE.flatMap(([name, carriers]) =>
      carriers.map((carrier) => [name, carrier] as const),
    )) {
      answer = carrier;
      const forge = createForge({
        services: { billing: { provider: provider(), baseURL: upstream.url } },
      });
      const app = expressApp();
      app.use(forge);
      app.get('/call', async (req, res, next) => {
        try {
          const response = await req.forge.fetch('billing', '/invoices');
          res.status(response.status).json(await response.json());
        } catch (error) {
          next(error);
        }
      });
      app.use(forgeErrorHandler());
      const server = await listen(app);
      try {
        const response = await fetch(`${server.url}/call`);
        const body = await response.text();
        if (response.status < 500) leaks.push(`${name}: answered HTTP ${response.status}`);
        if (body.includes(SECRET)) leaks.push(`${name}: the body carries the secret`);
      } finally {
        await server.close();
        await forge.close();
      }
    }
    expect(leaks).toEqual([]);
  });
});
