import {
  createHash,
  createHmac,
  createPublicKey,
  randomBytes,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A small OAuth 1.0a provider for tests, on 127.0.0.1. It verifies every
 * signature with its own implementation of RFC 5849 on node:crypto, written
 * independently of @forge/oauth1 (its own percent-encoding, parameter
 * collection, base string and signature checks), so a test passes only when
 * two implementations agree.
 */

type Pair = [string, string];

interface Consumer {
  readonly secret: string;
  readonly publicKeyPem?: string;
}

interface IssuedToken {
  readonly secret: string;
  readonly kind: 'temporary' | 'access';
  readonly consumerKey: string;
  callback?: string;
  verifier?: string;
}

/** What the protected resource answers: the parameters the verifier checked. */
export interface EchoBody {
  readonly method: string;
  readonly baseString: string;
  readonly signatureMethod: string;
  readonly transmission: 'header' | 'query' | 'body';
  readonly bodyHash: string | undefined;
  readonly parameters: Pair[];
  readonly body: string;
}

export interface TestProvider {
  readonly origin: string;
  /** Every verification failure, newest last (reason only). */
  readonly rejections: string[];
  addConsumer(key: string, consumer: Consumer): void;
  /** Issues access credentials directly (as providers do for a developer's own account). */
  issueAccessToken(consumerKey: string): { token: string; tokenSecret: string };
  /** Answer the next request to `path` with this instead (one shot). */
  failNext(path: string, status: number, body: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

// RFC 3986 unreserved characters stay; every other UTF-8 byte becomes %XX.
function encode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const isUnreserved =
      (byte >= 0x30 && byte <= 0x39) ||
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e;
    out += isUnreserved
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodeComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function parseUrlEncoded(text: string): Pair[] {
  if (text === '') return [];
  return text
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      return at === -1
        ? [decodeComponent(part), '']
        : [decodeComponent(part.slice(0, at)), decodeComponent(part.slice(at + 1))];
    });
}

function parseAuthorization(header: string): Pair[] | undefined {
  const match = /^OAuth\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const pairs: Pair[] = [];
  for (const item of match[1]!.split(',')) {
    const kv = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/.exec(item);
    if (!kv) throw new Error(`malformed Authorization item ${item}`);
    pairs.push([decodeURIComponent(kv[1]!), decodeURIComponent(kv[2]!)]);
  }
  return pairs;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function baseString(method: string, host: string, path: string, parameters: Pair[]): string {
  const normalized = parameters
    .map(([k, v]) => [encode(k), encode(v)] as Pair)
    .sort(([ak, av], [bk, bv]) => byBytes(ak, bk) || byBytes(av, bv))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return [
    method.toUpperCase(),
    encode(`http://${host.toLowerCase()}${path}`),
    encode(normalized),
  ].join('&');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

class Rejection extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the provider on 127.0.0.1 and a free port. */
export async function startTestProvider(): Promise<TestProvider> {
  const consumers = new Map<string, Consumer>();
  const tokens = new Map<string, IssuedToken>();
  const seenNonces = new Set<string>();
  const rejections: string[] = [];
  const failures = new Map<
    string,
    { status: number; body: string; headers: Record<string, string> }
  >();
  const random = () => randomBytes(12).toString('hex');

  function verifyRequest(request: IncomingMessage, rawBody: string) {
    const host = request.headers.host ?? '';
    const rawUrl = request.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = parseUrlEncoded(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
    const isForm = /^application\/x-www-form-urlencoded/i.test(
      request.headers['content-type'] ?? '',
    );
    const form = isForm ? parseUrlEncoded(rawBody) : [];
    const header = request.headers.authorization;
    const fromHeader = header === undefined ? undefined : parseAuthorization(header);

    let transmission: EchoBody['transmission'];
    let protocol: Pair[];
    if (fromHeader) {
      transmission = 'header';
      protocol = fromHeader.filter(([k]) => k !== 'realm');
    } else if (query.some(([k]) => k === 'oauth_signature')) {
      transmission = 'query';
      protocol = [];
    } else if (form.some(([k]) => k === 'oauth_signature')) {
      transmission = 'body';
      protocol = [];
    } else {
      throw new Rejection('no OAuth parameters');
    }
    const all = [...query, ...form, ...protocol];
    const oauth = new Map(all.filter(([k]) => k.startsWith('oauth_')));
    const signature = oauth.get('oauth_signature');
    const signatureMethod = oauth.get('oauth_signature_method') ?? '';
    const consumerKey = oauth.get('oauth_consumer_key') ?? '';
    const timestamp = Number(oauth.get('oauth_timestamp'));
    const nonce = oauth.get('oauth_nonce') ?? '';
    const consumer = consumers.get(consumerKey);
    if (!consumer) throw new Rejection('consumer_key_unknown');
    if (signature === undefined) throw new Rejection('parameter_absent');
    if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) {
      throw new Rejection('timestamp_refused');
    }
    const tokenValue = oauth.get('oauth_token');
    const token = tokenValue === undefined ? undefined : tokens.get(tokenValue);
    if (tokenValue !== undefined && !token) throw new Rejection('token_rejected');
    const nonceKey = `${consumerKey}|${tokenValue ?? ''}|${timestamp}|${nonce}`;
    if (seenNonces.has(nonceKey)) throw new Rejection('nonce_used');

    const signed = all.filter(([k]) => k !== 'oauth_signature');
    const base = baseString(request.method ?? 'GET', host, path, signed);
    const key = `${encode(consumer.secret)}&${encode(token?.secret ?? '')}`;
    let valid: boolean;
    switch (signatureMethod) {
      case 'HMAC-SHA1':
      case 'HMAC-SHA256': {
        const digest = signatureMethod === 'HMAC-SHA1' ? 'sha1' : 'sha256';
        valid = safeEqual(createHmac(digest, key).update(base).digest('base64'), signature);
        break;
      }
      case 'RSA-SHA1':
      case 'RSA-SHA256': {
        const digest = signatureMethod === 'RSA-SHA1' ? 'sha1' : 'sha256';
        valid =
          consumer.publicKeyPem !== undefined &&
          verify(
            digest,
            Buffer.from(base),
            createPublicKey(consumer.publicKeyPem),
            Buffer.from(signature, 'base64'),
          );
        break;
      }
      case 'PLAINTEXT':
        valid = safeEqual(key, signature);
        break;
      default:
        throw new Rejection('signature_method_rejected');
    }
    if (!valid) throw new Rejection('signature_invalid');

    const bodyHash = oauth.get('oauth_body_hash');
    if (bodyHash !== undefined) {
      if (isForm) throw new Rejection('body_hash_on_form');
      const digest = signatureMethod.endsWith('SHA256') ? 'sha256' : 'sha1';
      if (!safeEqual(createHash(digest).update(rawBody).digest('base64'), bodyHash)) {
        throw new Rejection('body_hash_invalid');
      }
    } else if (!isForm && rawBody !== '') {
      throw new Rejection('body_hash_absent');
    }
    seenNonces.add(nonceKey);
    return {
      oauth,
      token,
      tokenValue,
      consumerKey,
      base,
      transmission,
      bodyHash,
      signed,
      signatureMethod,
    };
  }

  // RFC 5849 leaves the window to the server; the Problem Reporting extension tells the client.
  function acceptable(problem: string): string {
    if (problem !== 'timestamp_refused') return '';
    const now = Math.floor(Date.now() / 1000);
    return `, oauth_acceptable_timestamps="${now - 300}-${now + 300}"`;
  }

  function send(
    response: ServerResponse,
    status: number,
    body: string,
    type = 'application/x-www-form-urlencoded',
  ) {
    response.writeHead(status, { 'content-type': type });
    response.end(body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const rawBody = await readBody(request);
    const path = (request.url ?? '/').split('?')[0]!;
    const failure = failures.get(path);
    if (failure) {
      failures.delete(path);
      response.writeHead(failure.status, {
        'content-type': 'application/x-www-form-urlencoded',
        ...failure.headers,
      });
      response.end(failure.body);
      return;
    }
    if (path === '/oauth/authorize') {
      // Stands in for the user approving access on the provider's page.
      const requestToken =
        new URL(request.url ?? '/', 'http://x').searchParams.get('oauth_token') ?? '';
      const issued = tokens.get(requestToken);
      if (issued?.kind !== 'temporary') return send(response, 400, 'oauth_problem=token_rejected');
      issued.verifier = random();
      const target =
        issued.callback === 'oob'
          ? undefined
          : `${issued.callback}${issued.callback?.includes('?') ? '&' : '?'}oauth_token=${requestToken}&oauth_verifier=${issued.verifier}`;
      if (target === undefined) return send(response, 200, `oauth_verifier=${issued.verifier}`);
      response.writeHead(302, { location: target });
      response.end();
      return;
    }
    let verified: ReturnType<typeof verifyRequest>;
    try {
      verified = verifyRequest(request, rawBody);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      rejections.push(error.message);
      response.writeHead(401, {
        'content-type': 'application/x-www-form-urlencoded',
        'www-authenticate': `OAuth realm="test", oauth_problem="${error.message}"${acceptable(error.message)}`,
      });
      response.end(`oauth_problem=${error.message}`);
      return;
    }
    if (path === '/oauth/request_token') {
      const callback = verified.oauth.get('oauth_callback');
      if (!callback || verified.token) return send(response, 400, 'oauth_problem=parameter_absent');
      const token = random();
      const secret = random();
      tokens.set(token, { secret, kind: 'temporary', consumerKey: verified.consumerKey, callback });
      return send(
        response,
        200,
        `oauth_token=${token}&oauth_token_secret=${secret}&oauth_callback_confirmed=true`,
      );
    }
    if (path === '/oauth/access_token') {
      const verifier = verified.oauth.get('oauth_verifier');
      const issued = verified.token;
      if (issued?.kind !== 'temporary' || !verifier || verifier !== issued.verifier) {
        return send(response, 401, 'oauth_problem=verifier_invalid');
      }
      tokens.delete(verified.tokenValue!);
      const token = random();
      const secret = random();
      tokens.set(token, { secret, kind: 'access', consumerKey: verified.consumerKey });
      return send(
        response,
        200,
        `oauth_token=${token}&oauth_token_secret=${secret}&user_id=42&screen_name=ada`,
      );
    }
    if (path.startsWith('/api/')) {
      if (verified.token?.kind !== 'access')
        return send(response, 401, 'oauth_problem=token_rejected');
      const echo: EchoBody = {
        method: request.method ?? 'GET',
        baseString: verified.base,
        signatureMethod: verified.signatureMethod,
        transmission: verified.transmission,
        bodyHash: verified.bodyHash,
        parameters: verified.signed.filter(([k]) => !k.startsWith('oauth_')),
        body: rawBody,
      };
      return send(response, 200, JSON.stringify(echo), 'application/json');
    }
    send(response, 404, 'oauth_problem=not_found');
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    rejections,
    addConsumer: (key, consumer) => consumers.set(key, consumer),
    issueAccessToken(consumerKey) {
      const token = random();
      const tokenSecret = random();
      tokens.set(token, { secret: tokenSecret, kind: 'access', consumerKey });
      return { token, tokenSecret };
    },
    failNext: (path, status, body, headers = {}) => failures.set(path, { status, body, headers }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
