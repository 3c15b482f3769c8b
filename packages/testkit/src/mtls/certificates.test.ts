import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { get, createServer as httpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certificateJwk, issueCertificate, thumbprintOf } from './certificates.js';

async function handshake(
  server: { cert: string; key: string; ca: string },
  client: { cert: string; key: string },
): Promise<{ authorized: boolean; subject: string; thumbprint: string }> {
  const https = httpsServer(
    { ...server, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.end(
        JSON.stringify({
          authorized: socket.authorized,
          subject: peer.subject?.CN,
          thumbprint: thumbprintOf(peer.raw),
        }),
      );
    },
  );
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  try {
    const { port } = https.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, ca: server.ca, ...client, agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve(JSON.parse(text)));
      }).on('error', reject);
    });
  } finally {
    https.close();
  }
}

describe('test certificates', () => {
  const ca = issueCertificate({ commonName: 'Forge Test CA', ca: true });
  const server = issueCertificate({
    commonName: '127.0.0.1',
    issuer: ca.issuer,
    hosts: ['127.0.0.1', 'localhost'],
  });

  it('makes a CA and a server certificate that Node verifies for 127.0.0.1 and localhost', () => {
    const caCert = new X509Certificate(ca.cert);
    const serverCert = new X509Certificate(server.cert);
    expect(caCert.ca).toBe(true);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serverCert.checkHost('localhost')).toBe('localhost');
    expect(thumbprintOf(serverCert)).toBe(server.thumbprint);
  });

  it('a CA-issued client certificate is authorized by a TLS server trusting the CA', async () => {
    const client = issueCertificate({ commonName: 'mtls-client', issuer: ca.issuer });
    const seen = await handshake({ ...server, ca: ca.cert }, client);
    expect(seen).toEqual({
      authorized: true,
      subject: 'mtls-client',
      thumbprint: client.thumbprint,
    });
    expect(client.subject).toBe('CN=mtls-client');
  });

  it('a self-signed client certificate is presented but not authorized', async () => {
    const client = issueCertificate({ commonName: 'self-signed' });
    const seen = await handshake({ ...server, ca: ca.cert }, client);
    expect(seen).toEqual({
      authorized: false,
      subject: 'self-signed',
      thumbprint: client.thumbprint,
    });
  });

  it('puts the certificate in the JWK it registers (x5c) with the key of the certificate', () => {
    const client = issueCertificate({ commonName: 'self-signed' });
    const jwk = certificateJwk(client.cert);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(jwk.x5c).toEqual([new X509Certificate(client.cert).raw.toString('base64')]);
    expect(jwk).not.toHaveProperty('d');
  });

  it('makes a new key and serial for every certificate', () => {
    const a = issueCertificate({ commonName: 'same' });
    const b = issueCertificate({ commonName: 'same' });
    expect(a.key).not.toBe(b.key);
    expect(new X509Certificate(a.cert).serialNumber).not.toBe(
      new X509Certificate(b.cert).serialNumber,
    );
  });
});
