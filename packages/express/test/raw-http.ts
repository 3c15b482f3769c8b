import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';

/** An HTTP response read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function parseResponse(text: string): RawResponse {
  // Interim answers (100 Continue) come first; the final response follows them.
  const raw = text.replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let body = raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function dechunk(chunked: string): string {
  let out = '';
  let rest = chunked;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) return out;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/**
 * Sends `head` (request line and headers, without the final blank line) and
 * `body` byte for byte on a fresh socket, closes after one response, and
 * parses it. Node's http client and fetch would normalize the paths and headers
 * these tests are about before they left the process.
 */
export function rawRequest(baseURL: string, head: string, body = ''): Promise<RawResponse> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response to ${head.split('\r\n')[0]} within 10 s`));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(`${head}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
  });
}

/** `GET <path>` on a raw socket, with extra header lines. */
export function rawGet(
  baseURL: string,
  path: string,
  headers: string[] = [],
): Promise<RawResponse> {
  const { host } = new URL(baseURL);
  return rawRequest(baseURL, [`GET ${path} HTTP/1.1`, `host: ${host}`, ...headers].join('\r\n'));
}

/**
 * Opens a socket, sends `head` and then `body`, and destroys the socket after
 * `afterMs` without waiting for an answer: a caller that goes away mid-request.
 */
export async function abandonRequest(
  baseURL: string,
  head: string,
  body: string,
  afterMs: number,
): Promise<void> {
  const { hostname, port } = new URL(baseURL);
  const socket: Socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`${head}\r\n\r\n${body}`, 'latin1');
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  socket.resetAndDestroy();
}

/** What the upstream received. */
export interface ReceivedRequest {
  readonly method: string;
  /** The request-target exactly as it arrived. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A loopback upstream API that records every request it receives. */
export interface RecordingUpstream {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Requests whose response was cut off by `/stream` because the reader went away. */
  readonly abandonedStreams: () => number;
  close(): Promise<void>;
}

type Route = (res: ServerResponse) => void;

// Everything under /v1 answers 200 with the recorded request, except these
// paths, which misbehave the way a hostile or broken upstream would.
const ROUTES: Readonly<Record<string, Route>> = {
  '/v1/response-headers': (res) => {
    res.setHeader('set-cookie', ['upstream=1; Path=/', 'tracking=2']);
    res.setHeader('www-authenticate', 'Bearer realm="upstream"');
    res.setHeader('proxy-authenticate', 'Basic realm="upstream-proxy"');
    res.setHeader('connection', 'x-upstream-hop');
    res.setHeader('x-upstream-hop', 'hop-value');
    res.setHeader('keep-alive', 'timeout=5');
    res.setHeader('x-kept', 'kept');
    res.end('{}');
  },
  '/v1/unauthorized': (res) => {
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
    res.end('{}');
  },
  '/v1/reset': (res) => {
    res.writeHead(200, { 'content-length': '100000' });
    res.write('partial body');
    setTimeout(() => res.socket?.resetAndDestroy(), 20);
  },
  '/v1/big-header': (res) => {
    res.setHeader('x-big', 'b'.repeat(40_000));
    res.end('{}');
  },
};

/** Starts a {@link RecordingUpstream} on 127.0.0.1. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const received: ReceivedRequest[] = [];
  let abandoned = 0;
  const server = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const route = ROUTES[path];
      if (route) {
        route(res);
        return;
      }
      if (path === '/v1/stream') {
        // Writes for as long as someone reads, at most 200 chunks.
        res.writeHead(200, { 'content-type': 'text/plain' });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent++ >= 200) {
            clearInterval(timer);
            if (res.destroyed) abandoned++;
            res.end();
            return;
          }
          res.write('chunk\n');
        }, 10);
        res.on('close', () => {
          if (!res.writableFinished) abandoned++;
          clearInterval(timer);
        });
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    abandonedStreams: () => abandoned,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A loopback "upstream" that answers every request with `response`, bytes
 * that need not be valid HTTP, then closes the connection; with `undefined`,
 * it reads the request and never answers.
 */
export async function startRawUpstream(
  response: string | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (response !== undefined && head.includes('\r\n\r\n')) socket.end(response, 'latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A loopback token endpoint that answers every request with `status`, a JSON
 * `body` and `headers`, whatever it was asked: an authorization server
 * playing the attacker.
 */
export async function startFixedTokenEndpoint(
  status: number,
  body: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
