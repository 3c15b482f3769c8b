// Loopback servers that play the other side of an attack: an API that
// records exactly what reached it, a foreign origin that redirects back, a
// token endpoint that answers whatever the test wants, an https origin with a
// certificate made at test time. Every server listens on 127.0.0.1 only.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { selfSignedCertificate } from './core-support.js';

/** One request as it arrived at a loopback server. */
export interface Received {
  readonly method: string;
  /** The request target exactly as the client sent it. */
  readonly target: string;
  /** The path as a server resolves it (see {@link resolvedPath}). */
  readonly path: string;
  readonly authorization: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What a route answers: a response, a reset connection, or nothing at all. */
export type Answer =
  | { readonly status?: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  | 'reset'
  | 'hang';

export type Route = (request: Received) => Answer | Promise<Answer>;

export interface LoopbackServer {
  /** `http(s)://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every request so far, oldest first. */
  readonly received: Received[];
  close(): Promise<void>;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The path a server resolves a request target to: dot segments (`.`, `..`,
 * `%2e`) removed and percent-encoded unreserved characters decoded, as
 * RFC 3986 §6.2.2 makes equivalent. `/%70ublic/./x/../info` is `/public/info`.
 */
export function resolvedPath(target: string): string {
  const { pathname } = new URL(target, 'http://resolve.invalid');
  const decoded = pathname.replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : encoded;
  });
  return new URL(decoded, 'http://resolve.invalid').pathname;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function respond(res: ServerResponse, answer: Answer): void {
  if (answer === 'hang') return;
  if (answer === 'reset') {
    res.socket?.resetAndDestroy();
    return;
  }
  res.statusCode = answer.status ?? 200;
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (answer.body === undefined) {
    res.end();
  } else if (typeof answer.body === 'string') {
    res.end(answer.body);
  } else {
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer.body));
  }
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Starts a server on 127.0.0.1 that records every request and answers with
 * `route`. With `tls`, it speaks https with that key and certificate.
 */
export async function startServer(
  route: Route,
  options: { readonly tls?: TlsMaterial } = {},
): Promise<LoopbackServer> {
  const received: Received[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then(async (body) => {
      const target = req.url ?? '/';
      const authorization = req.headers.authorization;
      const request: Received = {
        method: req.method ?? 'GET',
        target,
        path: resolvedPath(target),
        authorization,
        headers: req.headers,
        body,
      };
      received.push(request);
      try {
        respond(res, await route(request));
      } catch {
        res.socket?.destroy();
      }
    });
  };
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createServer(handler);
  const url = await listen(server, options.tls ? 'https' : 'http');
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An API that answers `200 { path }` to everything: for recording what arrives. */
export function startRecordingAPI(options: { readonly tls?: TlsMaterial } = {}) {
  return startServer((request) => ({ body: { path: request.path } }), options);
}

/**
 * A token endpoint that answers every request with `answer()` (a 200 with a
 * hostile body, typically), for tokens the testkit server would never issue.
 */
export function startTokenEndpoint(answer: () => Answer): Promise<LoopbackServer> {
  return startServer(() => answer());
}

/** A private key and self-signed certificate for 127.0.0.1, in PEM. */
export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

/**
 * Makes a throw-away certificate for `127.0.0.1` with the `openssl` CLI and
 * adds it to the process's default trusted CAs, so every client (node:http
 * based axios and got, undici's fetch under ky and Express) trusts it without
 * per-client options. Vitest runs each test file in its own process.
 */
export async function trustedLoopbackCertificate(): Promise<TlsMaterial> {
  const material = await selfSignedCertificate();
  if (typeof tls.setDefaultCACertificates !== 'function') {
    throw new Error(
      'trusting a test certificate needs tls.setDefaultCACertificates (Node 22.19+, 24.5+)',
    );
  }
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), material.cert]);
  return material;
}
