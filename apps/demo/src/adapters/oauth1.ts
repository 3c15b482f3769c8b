import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withForge } from '@forge/axios';
import { oauth1Authorizer } from '@forge/oauth1';
import axios from 'axios';
import OAuth from 'oauth-1.0a';
import type { DemoAdapter } from './types.js';

const CONSUMER = { key: 'demo-consumer', secret: 'demo consumer secret/+&=' };
const TOKEN = { key: 'demo-token', secret: 'demo token secret%:' };

// The verifier recomputes each signature with oauth-1.0a, an implementation
// independent of @forge/oauth1, so a row without failures means both agree.
const verifier = new OAuth({
  consumer: CONSUMER,
  signature_method: 'HMAC-SHA1',
  hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
});

function oauthParams(header: string | undefined): Record<string, string> | undefined {
  if (!header?.startsWith('OAuth ')) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) {
    params[match[1]!] = decodeURIComponent(match[2]!);
  }
  return params;
}

function verify(req: IncomingMessage, origin: string, seenNonces: Set<string>): boolean {
  const params = oauthParams(req.headers.authorization);
  if (!params?.oauth_signature || !params.oauth_nonce || !params.oauth_timestamp) return false;
  if (params.oauth_consumer_key !== CONSUMER.key || params.oauth_token !== TOKEN.key) return false;
  if (Math.abs(Number(params.oauth_timestamp) - Date.now() / 1000) > 300) return false;
  if (seenNonces.has(params.oauth_nonce)) return false;
  seenNonces.add(params.oauth_nonce);
  const { oauth_signature: signature, realm: _realm, ...signed } = params;
  const expected = verifier.getSignature(
    { url: `${origin}${req.url}`, method: req.method ?? 'GET' },
    TOKEN.secret,
    signed as unknown as OAuth.Data,
  );
  const a = Buffer.from(signature);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The consumer and token the demo's OAuth 1 API accepts. */
export const OAUTH1_CREDENTIALS = {
  consumerKey: CONSUMER.key,
  consumerSecret: CONSUMER.secret,
  token: TOKEN.key,
  tokenSecret: TOKEN.secret,
} as const;

/** An API on 127.0.0.1 answering 200 to correctly signed requests (fresh nonce) and 401 otherwise. */
export async function startOAuth1Api(): Promise<{ origin: string; close(): Promise<void> }> {
  const seenNonces = new Set<string>();
  let origin = '';
  const server = createServer((req, res) => {
    const ok = verify(req, origin, seenNonces);
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** axios signing every request with OAuth 1.0a (HMAC-SHA1) against a verifying API on 127.0.0.1. */
export const oauth1Adapter: DemoAdapter = {
  name: 'oauth1 (axios)',
  async start() {
    const api = await startOAuth1Api();
    const { origin } = api;
    const client = withForge(
      axios.create({ baseURL: origin, timeout: 10_000 }),
      oauth1Authorizer({
        ...OAUTH1_CREDENTIALS,
        signatureMethod: 'HMAC-SHA1',
        policy: { baseURL: origin },
      }),
    );
    return {
      call: async (i) => (await client.get(`/statuses/${i}?include=entities&q=a%20b`)).status,
      close: () => api.close(),
    };
  },
};
