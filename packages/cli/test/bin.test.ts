// The `forge` executable as a user runs it: a child process of the real
// entry point (bundled from source with its shebang), against the testkit
// server and against HTTPS servers on 127.0.0.1 whose certificates are made
// at test time: self-signed, expired, for another host, and trusted through
// NODE_EXTRA_CA_CERTS.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/index.js';
import { bundleBin, runBin, scratch } from './support.js';
import { type KeyAndCert, makeCertificates, type TestCertificates } from './tls.js';

let auth: AuthServer;
let bin: string;
let certs: TestCertificates;
const files = scratch();

beforeAll(async () => {
  auth = await startAuthServer();
  bin = await bundleBin(files.dir);
  certs = makeCertificates(files.dir);
});
afterAll(async () => {
  await auth.close();
  files.dispose();
});

/** An HTTPS token endpoint on 127.0.0.1 with the given certificate. */
async function httpsTokenEndpoint(
  pair: KeyAndCert,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer({ key: pair.key, cert: pair.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: 'tls-token-value-0123456789',
        token_type: 'Bearer',
        expires_in: 60,
      }),
    );
  });
  // Handshakes the client aborts are expected here.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/token`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the forge executable', () => {
  it('starts with a shebang and prints its version', async () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const run = await runBin(bin, ['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('gets a token with the secret from the environment and never prints it', async () => {
    const run = await runBin(
      bin,
      ['token', '--issuer', auth.issuer, '--client-id', auth.clients.basic.clientId, '--json'],
      {
        FORGE_CLIENT_SECRET: auth.clients.basic.clientSecret,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ tokenType: 'Bearer', expiresInSeconds: 3600 });
    expect(summary).not.toHaveProperty('accessToken');
  });

  it('exits 2 on a usage error and 1 on a failed check, as the README says', async () => {
    expect((await runBin(bin, ['token', '--bogus'])).code).toBe(ExitCode.Usage);
    const refused = await runBin(
      bin,
      ['doctor', '--issuer', auth.issuer, '--client-id', auth.clients.basic.clientId],
      {
        FORGE_CLIENT_SECRET: 'a-wrong-secret-value',
      },
    );
    expect(refused.code).toBe(ExitCode.Failed);
    expect(refused.stdout).toContain('[FAIL] client-auth');
    expect(refused.stdout).not.toContain('a-wrong-secret-value');
  });
});

describe('forge doctor: TLS', () => {
  const doctor = (url: string, env: Record<string, string> = {}) =>
    runBin(bin, ['doctor', '--token-endpoint', url, '--client-id', 'svc', '--json'], {
      FORGE_CLIENT_SECRET: 'tls-client-secret',
      ...env,
    });
  const tokenCheck = (stdout: string) =>
    (JSON.parse(stdout) as { checks: { id: string; summary: string; fix?: string }[] }).checks.find(
      (check) => check.id === 'token-request',
    );

  it('a self-signed certificate: names it, says how to trust a private CA, exits 3', async () => {
    const server = await httpsTokenEndpoint(certs.selfSigned);
    try {
      const run = await doctor(server.url);
      expect(run.code).toBe(ExitCode.Unreachable);
      const check = tokenCheck(run.stdout);
      expect(check?.summary).toContain(
        'presents a self-signed TLS certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
      );
      expect(check?.fix).toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await server.close();
    }
  });

  it('the fix works: with the CA in NODE_EXTRA_CA_CERTS the same kind of server passes', async () => {
    const server = await httpsTokenEndpoint(certs.valid);
    try {
      const untrusted = await doctor(server.url);
      expect(tokenCheck(untrusted.stdout)?.summary).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      const trusted = await doctor(server.url, { NODE_EXTRA_CA_CERTS: certs.caFile });
      expect(trusted.code).toBe(ExitCode.Ok);
      expect(tokenCheck(trusted.stdout)?.summary).toContain('issued a Bearer token');
      expect(trusted.stdout).not.toContain('tls-token-value-0123456789');
    } finally {
      await server.close();
    }
  });

  it('an expired certificate: exits 3 and says to renew it (or check the clock)', async () => {
    const server = await httpsTokenEndpoint(certs.expired);
    try {
      const run = await doctor(server.url, { NODE_EXTRA_CA_CERTS: certs.caFile });
      expect(run.code).toBe(ExitCode.Unreachable);
      const check = tokenCheck(run.stdout);
      expect(check?.summary).toContain('presents an expired TLS certificate (CERT_HAS_EXPIRED)');
      expect(check?.fix).toContain('Renew the server certificate');
    } finally {
      await server.close();
    }
  });

  it('a certificate for another host name: exits 3 and says which name to use', async () => {
    const server = await httpsTokenEndpoint(certs.otherHost);
    try {
      const run = await doctor(server.url, { NODE_EXTRA_CA_CERTS: certs.caFile });
      expect(run.code).toBe(ExitCode.Unreachable);
      const check = tokenCheck(run.stdout);
      expect(check?.summary).toContain(
        'presents a TLS certificate for another host name (ERR_TLS_CERT_ALTNAME_INVALID)',
      );
      expect(check?.fix).toContain('Use the host name the certificate names');
    } finally {
      await server.close();
    }
  });

  it('https to a plain http port: exits 3', async () => {
    const port = new URL(auth.issuer).port;
    const run = await doctor(`https://127.0.0.1:${port}/token`);
    expect(run.code).toBe(ExitCode.Unreachable);
    expect(tokenCheck(run.stdout)?.summary).toMatch(
      /did not speak TLS|closed the connection|could not be reached/,
    );
  });
});
