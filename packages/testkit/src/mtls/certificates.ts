import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  octetString,
  oid,
  sequence,
  set,
  time,
  utf8,
} from './der.js';

/**
 * A certificate made at test time, with its private key.
 *
 * @example
 * ```ts
 * const { cert, key, thumbprint } = auth.mtls.clients.tls;
 * const agent = new https.Agent({ cert, key, ca: auth.mtls.ca });
 * ```
 */
export interface TestCertificate {
  /** The certificate, PEM. */
  readonly cert: string;
  /** Its P-256 private key, PKCS#8 PEM. Made for this process; never written to disk. */
  readonly key: string;
  /** `x5t#S256`: the base64url SHA-256 of the certificate's DER, as a bound token's `cnf` holds it. */
  readonly thumbprint: string;
  /** The subject as an RFC 4514 string, such as `CN=mtls-client`. */
  readonly subject: string;
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 24 * 3600 * 1000;

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** keyUsage bits, counted from the most significant bit as RFC 5280 numbers them. */
function keyUsage(bits: readonly number[]): Buffer {
  let byte = 0;
  for (const bit of bits) byte |= 0x80 >> bit;
  const unused = Math.max(0, 7 - Math.max(...bits));
  return Buffer.concat([Buffer.from([0x03, 2, unused]), Buffer.from([byte])]);
}

function subjectAltNames(hosts: readonly string[]): Buffer {
  return sequence(
    ...hosts.map((host) =>
      isIP(host) === 4
        ? implicit(7, Buffer.from(host.split('.').map(Number)))
        : implicit(2, Buffer.from(host, 'ascii')),
    ),
  );
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** What signs a certificate: the issuer's key and name (a self-signed one signs itself). */
export interface Issuer {
  readonly commonName: string;
  readonly privateKey: KeyObject;
}

export interface IssueOptions {
  readonly commonName: string;
  /** Signed by this issuer; self-signed when absent. */
  readonly issuer?: Issuer;
  /** A certificate authority (`cA: true`, `keyCertSign`). */
  readonly ca?: boolean;
  /** DNS names and IPv4 addresses the certificate is a server certificate for. */
  readonly hosts?: readonly string[];
}

/** A certificate and the key that can issue others, when it is a CA. */
export interface IssuedCertificate extends TestCertificate {
  readonly issuer: Issuer;
}

/**
 * Makes an X.509 v3 certificate with a fresh P-256 key, valid from a day ago
 * (clock skew between test processes) for thirty days.
 */
export function issueCertificate(options: IssueOptions): IssuedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = options.issuer ?? { commonName: options.commonName, privateKey };
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const now = Date.now();
  const extensions = [
    extension('2.5.29.19', true, options.ca ? sequence(boolean(true)) : sequence()),
    extension('2.5.29.15', true, options.ca ? keyUsage([5, 6]) : keyUsage([0])),
    ...(options.ca
      ? []
      : [
          extension(
            '2.5.29.37',
            false,
            sequence(oid(options.hosts ? SERVER_AUTH : CLIENT_AUTH), oid(CLIENT_AUTH)),
          ),
        ]),
    ...(options.hosts ? [extension('2.5.29.17', false, subjectAltNames(options.hosts))] : []),
  ];
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_WITH_SHA256,
    name(signer.commonName),
    sequence(time(new Date(now - DAY_MS)), time(new Date(now + 30 * DAY_MS))),
    name(options.commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, signer.privateKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  return {
    cert: pem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprint: createHash('sha256').update(der).digest('base64url'),
    subject: `CN=${options.commonName}`,
    issuer: { commonName: options.commonName, privateKey },
  };
}

/** `x5t#S256` of a certificate as a TLS socket reports it. */
export function thumbprintOf(certificate: X509Certificate | Buffer): string {
  const raw = certificate instanceof X509Certificate ? certificate.raw : certificate;
  return createHash('sha256').update(raw).digest('base64url');
}

/** The public JWK of a certificate's key with the certificate in `x5c`, for `self_signed_tls_client_auth`. */
export function certificateJwk(cert: string): Record<string, unknown> {
  const x509 = new X509Certificate(cert);
  const jwk = x509.publicKey.export({ format: 'jwk' });
  return { ...jwk, x5c: [x509.raw.toString('base64')] };
}

/** Strips the issuer key so a certificate can be handed to a test. */
export function publicPart({ cert, key, thumbprint, subject }: TestCertificate): TestCertificate {
  return { cert, key, thumbprint, subject };
}
