// Exclusions are judged on the path the server will resolve, not on how the
// caller spelled it. Every client here parses URLs with WHATWG URL, which
// removes dot segments (`.`, `..`, `%2e`) before sending but keeps
// percent-escapes (`%70` stays `%70`); only the Express proxy, reached by a
// raw node:http request, sees the path exactly as the caller wrote it. The
// API resolves both (RFC 3986 §6.2.2), so `/%70ublic/info` is `/public/info`.
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bindings } from './adapters.js';
import { type LoopbackServer, startRecordingAPI } from './attackers.js';
import { attempt, testkitProvider } from './support.js';

const POLICY = { excludedPaths: ['/public/info'], excludedPathPatterns: ['/public/**'] };
const DISGUISED = [
  '/%70ublic/info',
  '/public/./info',
  '/x/../public/info',
  '/p%75blic/./info',
  '/%70ublic/docs/readme',
];

let auth: AuthServer;
let api: LoopbackServer;

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startRecordingAPI();
});

afterAll(async () => {
  await api?.close();
  await auth?.close();
});

beforeEach(() => {
  api.received.length = 0;
});

describe('exclusions match the normalized path in every adapter', () => {
  for (const binding of bindings) {
    it(`${binding.name}: a disguised excluded path gets no credentials`, async () => {
      const client = await binding.make(api.url, testkitProvider(auth), { policy: POLICY });
      try {
        expect((await client.get('/orders')).status).toBe(200);
        const { authorizationHeader } = await client.manager.getToken();
        expect(api.received.map((r) => r.authorization)).toEqual([authorizationHeader]);

        for (const path of DISGUISED) await attempt(client.get(path));
        const excluded = api.received.filter((r) => r.path.startsWith('/public/'));
        // Some disguise must have reached the API, or nothing was tested.
        expect(excluded.length).toBeGreaterThan(0);
        expect(
          excluded.map((r) => ({ sent: r.target, credentials: r.authorization !== undefined })),
        ).toEqual(excluded.map((r) => ({ sent: r.target, credentials: false })));
      } finally {
        await client.close();
      }
    });
  }
});
