// The errors a caller gets from an HTTP client are logged, serialized and
// inspected whole, often later, after more requests went out on the same
// keep-alive connection. After a 5xx (also one at the end of a redirect), a
// final 401, a connection reset and a timeout, nothing in them may hold the
// access token Forge added: not axios's `err.config.headers` or `err.request`
// (`_header`, `getHeaders()`, the socket it shares with later requests), not
// got's `err.options.headers`, not ky's `err.request.headers`, not
// `util.inspect` or `JSON.stringify` of any of them. An `Authorization` the
// caller set themselves is theirs, and stays.
//
// The Express bindings are left out: their caller only ever receives an HTTP
// response. In the handler, a 5xx or 401 is a Response, not an error, and the
// errors a reset or a timeout give it (fetch's TypeError, Forge's
// ServiceAuthorizationError) never held the request's headers, before the
// fixes either. What Express sends back is covered by the leak suite
// (test/failure/leak.test.ts).
import { randomBytes } from 'node:crypto';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindings } from './adapters.js';
import { type Answer, type LoopbackServer, startServer } from './attackers.js';
import { attempt, everythingAbout, keptHeaders, testkitProvider } from './support.js';

const FAILURES = [
  { name: 'a 5xx', path: '/unavailable' },
  { name: 'a 5xx after a same-origin redirect', path: '/moved' },
  { name: 'a final 401', path: '/refused' },
  { name: 'a connection reset', path: '/reset' },
  { name: 'a timeout', path: '/hang' },
];

let auth: AuthServer;
let api: LoopbackServer;

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startServer((request): Answer => {
    switch (request.path) {
      case '/unavailable':
        return { status: 503, body: { error: 'unavailable' } };
      case '/moved':
        return { status: 307, headers: { location: '/unavailable' } };
      case '/refused':
        return {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
          body: { error: 'invalid_token' },
        };
      case '/reset':
        return 'reset';
      case '/hang':
        return 'hang';
      default:
        return { body: { path: request.path } };
    }
  });
});

afterAll(async () => {
  await api?.close();
  await auth?.close();
});

const clients = bindings.filter((binding) => !binding.name.startsWith('express'));

describe('an error that reaches the caller carries none of our credentials', () => {
  for (const binding of clients) {
    it(`${binding.name}: after a 5xx, a redirect to a 5xx, a final 401, a reset and a timeout`, async () => {
      const client = await binding.make(api.url, testkitProvider(auth), { timeoutMs: 400 });
      const errors: { readonly name: string; readonly error: unknown }[] = [];
      try {
        api.received.length = 0;
        for (const { name, path } of FAILURES) {
          const outcome = await attempt(client.get(path));
          errors.push({ name, error: outcome.reply?.error ?? outcome.thrown });
        }
        // Errors are often logged later, after more requests went out on the
        // same keep-alive connection: those must not show through either.
        expect((await client.get('/ok')).status).toBe(200);
        // The tokens Forge really sent (the retry after a 401 sends a renewed one).
        const tokens = new Set(
          api.received.flatMap((r) => (r.authorization ? [r.authorization.split(' ')[1]!] : [])),
        );
        tokens.add((await client.manager.getToken()).accessToken);
        // Every failure was a request Forge authorized.
        expect(
          api.received.filter((r) => r.authorization !== undefined).length,
        ).toBeGreaterThanOrEqual(FAILURES.length);
        const found = errors.flatMap(({ name, error }) => {
          if (error === undefined) return [`${name}: no error reached the caller`];
          const text = everythingAbout(error);
          return [...tokens].some((token) => text.includes(token))
            ? [`${name}: the error carries our access token`]
            : [];
        });

        const own = `Bearer caller-own-${randomBytes(8).toString('hex')}`;
        const outcome = await attempt(client.get('/unavailable', { authorization: own }));
        expect(api.received.at(-1)?.authorization).toBe(own);
        expect({
          found,
          callerKeepsTheirs: keptHeaders(outcome.reply?.error ?? outcome.thrown).includes(own),
        }).toEqual({ found: [], callerKeepsTheirs: true });
      } finally {
        await client.close();
      }
    });
  }
});
