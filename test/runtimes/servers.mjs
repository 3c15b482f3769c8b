// The loopback servers of the runtime suite besides the testkit's: a foreign
// origin that records whether credentials reached it, an OAuth 1 API with an
// independent verifier, and the control endpoint a runtime script calls to have
// its tokens revoked mid-run.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import OAuth from 'oauth-1.0a';

async function listen(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Another origin: answers 200 and logs each request's path and whether it had an Authorization header. */
export async function startForeignServer() {
  const seen = [];
  const server = await listen((req, res) => {
    seen.push({ path: req.url, hadAuthorization: req.headers.authorization !== undefined });
    json(res, 200, { ok: true });
  });
  return { ...server, seen };
}

/** `POST /revoke` runs `revoke()`; anything else is a 404. */
export async function startControlServer(revoke) {
  return listen(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/revoke') return json(res, 404, {});
    await revoke();
    json(res, 200, { revoked: true });
  });
}

export const OAUTH1_CREDENTIALS = {
  consumerKey: 'runtime-consumer',
  consumerSecret: 'runtime consumer secret/+&=',
  token: 'runtime-token',
  tokenSecret: 'runtime token secret%:',
};

// oauth-1.0a recomputes each signature: an implementation independent of
// @forge/oauth1, so an accepted request means both read RFC 5849 the same way.
const verifier = new OAuth({
  consumer: { key: OAUTH1_CREDENTIALS.consumerKey, secret: OAUTH1_CREDENTIALS.consumerSecret },
  signature_method: 'HMAC-SHA256',
  hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
});

function oauthParams(header) {
  if (!header?.startsWith('OAuth ')) return undefined;
  const params = {};
  for (const match of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) {
    params[match[1]] = decodeURIComponent(match[2]);
  }
  return params;
}

/**
 * An OAuth 1.0a API: 200 for a request signed with HMAC-SHA256 over its method,
 * URL, query and form body with a fresh nonce, 401 otherwise. `verdicts` logs each answer.
 */
export async function startOAuth1Api() {
  const nonces = new Set();
  const verdicts = [];
  let origin = '';
  const server = await listen(async (req, res) => {
    const body = await readBody(req);
    const params = oauthParams(req.headers.authorization);
    let ok = false;
    if (
      params?.oauth_signature &&
      params.oauth_consumer_key === OAUTH1_CREDENTIALS.consumerKey &&
      params.oauth_token === OAUTH1_CREDENTIALS.token &&
      params.oauth_signature_method === 'HMAC-SHA256' &&
      Math.abs(Number(params.oauth_timestamp) - Date.now() / 1000) < 300 &&
      !nonces.has(params.oauth_nonce)
    ) {
      nonces.add(params.oauth_nonce);
      const { oauth_signature: signature, realm: _realm, ...signed } = params;
      const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body))
        : {};
      const expected = verifier.getSignature(
        { url: `${origin}${req.url}`, method: req.method, data: form },
        OAUTH1_CREDENTIALS.tokenSecret,
        signed,
      );
      const a = Buffer.from(signature);
      const b = Buffer.from(expected);
      ok = a.length === b.length && timingSafeEqual(a, b);
    }
    verdicts.push({ method: req.method, path: req.url.split('?')[0], ok });
    json(res, ok ? 200 : 401, { ok });
  });
  origin = server.url;
  return { ...server, verdicts };
}
