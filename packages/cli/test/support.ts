import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { main } from '../src/index.js';

/** What one run printed and returned. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main` in this process with captured output. */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
  options: { isTTY?: boolean } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.isTTY },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.isTTY },
    env,
  });
  return { code, stdout, stderr };
}

/** A scratch folder removed by `dispose()`. */
export function scratch(): {
  dir: string;
  file(name: string, content: string): string;
  dispose(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'forge-cli-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The real `forge` executable, bundled from source (the `@forge/source`
 * condition) with its shebang, so child-process tests need no prior build.
 */
export async function bundleBin(dir: string): Promise<string> {
  const outfile = join(dir, 'forge.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, '..', 'src', 'bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@forge/source'],
    outfile,
    logLevel: 'silent',
    // yaml and jose are CommonJS-free ESM; createRequire covers any `require` of a built-in.
    banner: {
      js: "import { createRequire as __forgeRequire } from 'node:module'; const require = __forgeRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** Runs the bundled executable as a child process. */
export function runBin(
  bin: string,
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...argv],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A value no real output contains by chance. */
export function marker(label: string): string {
  return `${label}Marker${randomBytes(6).toString('hex')}`;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** An HTTP server on 127.0.0.1 with one handler. */
export async function startServer(
  handler: Handler,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      Promise.resolve(handler(req, res, body)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A front for another server: forwards every request to `target` and
 * passes the answer back, with its `Date` header moved by `skewMs`, and a
 * redirect instead of an answer for paths in `redirects`.
 */
export function startFront(
  target: string,
  options: { skewMs?: number; redirects?: Record<string, { status: number; to: string }> } = {},
) {
  return startServer(async (req, res, body) => {
    const path = req.url ?? '/';
    const redirect = options.redirects?.[path];
    if (redirect) {
      res.writeHead(redirect.status, { location: redirect.to });
      res.end();
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length')
        headers.set(name, value);
    }
    const upstream = await fetch(`${target}${path}`, {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'POST' ? { body } : {}),
      redirect: 'manual',
    });
    const answer = await upstream.text();
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding')
        out[name] = value;
    });
    out.date = new Date(Date.now() + (options.skewMs ?? 0)).toUTCString();
    res.writeHead(upstream.status, out);
    res.end(answer);
  });
}
