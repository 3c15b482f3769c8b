// Loopback attackers and small helpers for the core and Express proxy classes
// of the security suite. Every server listens on 127.0.0.1 only, records what
// reached it, and drops its connections when closed.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { ForgeRequestContext } from '@forge/express';

/** One request as an attacker server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** The request target exactly as sent (not normalized). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A loopback server playing a hostile party. */
export interface Attacker {
  /** `http://127.0.0.1:PORT` (or `https://` for {@link startHttpsAttacker}). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Answers a request once its body was read in full. */
export type AttackerHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
) => void | Promise<void>;

function recording(requests: RecordedRequest[], handler: AttackerHandler): RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      Promise.resolve(handler(req, res, body)).catch(() => res.destroy());
    });
  };
}

async function listening(server: Server, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server & { closeAllConnections(): void }): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Starts a plain HTTP attacker on 127.0.0.1. */
export async function startAttacker(handler: AttackerHandler): Promise<Attacker> {
  const requests: RecordedRequest[] = [];
  const server = createServer(recording(requests, handler));
  // Hostile servers answer odd things; the client side is what is under test.
  server.on('clientError', (_error, socket) => socket.destroy());
  const url = await listening(server, 'http');
  return { url, requests, close: closer(server) };
}

/** A certificate for `127.0.0.1`, made with the `openssl` CLI. */
export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
}

/** Makes a throwaway self-signed certificate for 127.0.0.1 (EC P-256, one day). */
export async function selfSignedCertificate(): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'forge-security-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts an HTTPS attacker on 127.0.0.1 with `certificate`. */
export async function startHttpsAttacker(
  certificate: SelfSigned,
  handler: AttackerHandler,
): Promise<Attacker> {
  const requests: RecordedRequest[] = [];
  const server = createHttpsServer(certificate, recording(requests, handler));
  const url = await listening(server, 'https');
  return { url, requests, close: closer(server) };
}

/**
 * A `fetch` that trusts `ca` for `https:` URLs and hands every other URL to
 * the global `fetch`. It sends one request and follows no redirect, which is
 * all a token endpoint or discovery request needs.
 */
export function fetchTrusting(ca: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('https:')) return fetch(input, init);
    return new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const outgoing = httpsRequest(
        url,
        { method: init?.method ?? 'GET', headers, ca, signal: init?.signal ?? undefined },
        (incoming) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const item of [value ?? []].flat()) responseHeaders.append(name, item);
          }
          resolve(
            new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, {
              status: incoming.statusCode ?? 502,
              headers: responseHeaders,
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(typeof init?.body === 'string' ? init.body : undefined);
    });
  };
}

/** What {@link streamWithoutEnd} saw. */
export interface StreamOutcome {
  /** Bytes handed to the socket (what the client read plus what sat in kernel buffers). */
  readonly written: number;
  /** Whether the client went away before the cap was reached. */
  readonly clientLeft: boolean;
}

/** The most a never-ending body writes, so a client without a limit still ends the test. */
export const STREAM_CAP_BYTES = 64 * 1024 * 1024;

/**
 * Answers 200 JSON that never closes its string: `prefix`, then 64 KiB chunks
 * of `a` until the client disconnects (or {@link STREAM_CAP_BYTES}).
 */
export async function streamWithoutEnd(
  res: ServerResponse,
  prefix: string,
): Promise<StreamOutcome> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let gone = false;
  res.once('close', () => {
    gone = !res.writableFinished;
  });
  res.write(prefix);
  let written = Buffer.byteLength(prefix);
  while (written < STREAM_CAP_BYTES && !gone) {
    const flushed = res.write(chunk);
    written += chunk.length;
    if (!flushed) await drainedOrClosed(res);
  }
  const clientLeft = gone;
  res.end();
  return { written, clientLeft };
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Sends `raw` bytes on a fresh connection and resolves with everything the
 * server answered until it closed the connection (send `Connection: close`).
 * The connection is not half-closed: Node's server would abort the request.
 */
export function rawRequest(url: string, raw: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no answer within ${timeoutMs} ms`)),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => (chunks.length > 0 ? resolve(text()) : reject(error)));
    socket.on('close', () => resolve(text()));
    const text = (): string => Buffer.concat(chunks).toString('latin1');
  });
}

/** Sends the head and part of a body, then drops the connection without waiting for an answer. */
export async function abandonUpload(url: string, head: string, partialBody: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  await new Promise<void>((resolve) => socket.write(head + partialBody, () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
}

/** The status code of a raw HTTP/1.1 answer, or 0 when there was none. */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

/** Resolves with what `promise` rejected with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

/** Collects uncaught exceptions and unhandled rejections while a test runs. */
export interface CrashWatch {
  readonly crashes: unknown[];
  stop(): void;
}

/** Starts collecting process-level failures (see {@link CrashWatch}). */
export function watchCrashes(): CrashWatch {
  const crashes: unknown[] = [];
  const record = (error: unknown): void => {
    crashes.push(error);
  };
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    crashes,
    stop() {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    },
  };
}

/** The parts of an Express request, response and app these tests use. */
export interface AppRequest {
  readonly forge: ForgeRequestContext;
}
export interface AppResponse {
  status(code: number): AppResponse;
  json(body: unknown): void;
}
export type AppHandler = (
  req: AppRequest,
  res: AppResponse,
  next: (error?: unknown) => void,
) => unknown;
export interface App {
  use(...handlers: unknown[]): App;
  get(path: string, handler: AppHandler): App;
  listen(port: number, host: string, callback: (error?: Error) => void): Server;
}

// The root workspace only carries Express 4 (for compat tests); Express 5 is
// the version @forge/express is developed against, so take it from there.
const requireFromExpressPackage = createRequire(
  new URL('../../packages/express/package.json', import.meta.url),
);

/** A new Express 5 application. */
export function expressApp(): App {
  const express = requireFromExpressPackage('express') as () => App;
  return express();
}

/** A running app on 127.0.0.1. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts `app` on a free loopback port. */
export async function listen(app: App): Promise<Listening> {
  const server = await new Promise<Server & { closeAllConnections(): void }>((resolve, reject) => {
    const started = app.listen(0, '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(started as Server & { closeAllConnections(): void }),
    );
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: closer(server),
  };
}

/** A loopback URL nothing listens on (connection refused). */
export async function deadURL(): Promise<string> {
  const server = createServer();
  const url = await listening(server, 'http');
  await new Promise((resolve) => server.close(resolve));
  return url;
}
