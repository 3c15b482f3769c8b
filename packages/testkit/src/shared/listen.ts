import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * Serve HTTPS with this certificate, asking every client for a certificate
 * issued by `ca` (or a self-signed one): asked, not required, so a client
 * without one still reaches the handler and gets a proper OAuth answer.
 */
export interface LoopbackTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** A loopback HTTP server whose handler is set once the port is known. */
export interface LoopbackServer {
  readonly server: Server;
  readonly origin: string;
  readonly port: number;
  setHandler(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 on a free port. The handler comes later because the
 * authorization server's issuer (and so its configuration) contains the port.
 */
export async function listenOnLoopback(tls?: LoopbackTls): Promise<LoopbackServer> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (handler) handler(req, res);
    else {
      res.statusCode = 503;
      res.end();
    }
  };
  const server: Server = tls
    ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, handle)
    : createServer(handle);
  // Tests hit these servers in tight loops; a keep-alive socket left idle must
  // not keep the process alive after the test ends.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Stampede tests open a thousand connections at once: Node's default backlog
    // (511) would reset some of them on a busy machine.
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    setHandler(next) {
      handler = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Reads a request body as text, bounded so a runaway client cannot exhaust memory. */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
