import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

export interface Loopback {
  readonly url: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that answers each request with the next
 * handler in `script` (the last one repeats), recording what it received.
 */
export async function loopback(
  ...script: ((req: Recorded, res: ServerResponse) => void)[]
): Promise<Loopback> {
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const handler = script[Math.min(requests.length, script.length - 1)];
      requests.push(recorded);
      handler?.(recorded, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a status, a content type and a body, exactly as given. */
export function reply(status: number, body: string, headers: Record<string, string> = {}) {
  return (_req: Recorded, res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

/** Answers a JSON body. */
export function json(status: number, value: unknown, headers: Record<string, string> = {}) {
  return reply(status, JSON.stringify(value), headers);
}

/** Destroys the connection without an answer. */
export function reset() {
  return (_req: Recorded, res: ServerResponse): void => {
    res.socket?.resetAndDestroy();
  };
}

/** Never answers. */
export function hang() {
  return (): void => {};
}

/**
 * A 200 whose JSON body never ends: it writes as fast as the client reads
 * (respecting backpressure) until the client drops the connection or `capBytes`
 * were written, so a client that does not stop costs the test a bounded amount.
 */
export function endless(capBytes: number) {
  const stats = { written: 0, closed: false };
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const handler = (_req: Recorded, res: ServerResponse): void => {
    res.on('close', () => {
      stats.closed = true;
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"access_token":"');
    const pump = (): void => {
      while (!res.destroyed && stats.written < capBytes) {
        stats.written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end('"}');
    };
    pump();
  };
  return { handler, stats };
}
