import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of a test CA and of server certificates it signed, made with the openssl CLI. */
export interface TestCertificates {
  /** The CA certificate: what NODE_EXTRA_CA_CERTS points at. */
  readonly caFile: string;
  /** A self-signed certificate for 127.0.0.1 that nothing trusts. */
  readonly selfSigned: KeyAndCert;
  /** Signed by the CA for IP 127.0.0.1. */
  readonly valid: KeyAndCert;
  /** Signed by the CA for 127.0.0.1, expired yesterday. */
  readonly expired: KeyAndCert;
  /** Signed by the CA for example.test only. */
  readonly otherHost: KeyAndCert;
}

export interface KeyAndCert {
  readonly key: string;
  readonly cert: string;
}

/** Generates the certificates in `dir` (openssl is required: the test fails without it). */
export function makeCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const path = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Forge CLI Test CA',
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  );
  const leaf = (name: string, san: string, days: string): KeyAndCert => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path(`${name}.ext`), `${san}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
    return {
      key: readFileSync(path(`${name}.key`), 'utf8'),
      cert: readFileSync(path(`${name}.pem`), 'utf8'),
    };
  };
  return {
    caFile: path('ca.pem'),
    selfSigned: {
      key: readFileSync(path('self.key'), 'utf8'),
      cert: readFileSync(path('self.pem'), 'utf8'),
    },
    valid: leaf('valid', 'subjectAltName=IP:127.0.0.1', '2'),
    // A negative validity puts notAfter a day before notBefore (now): expired at once.
    expired: leaf('expired', 'subjectAltName=IP:127.0.0.1', '-1'),
    otherHost: leaf('other', 'subjectAltName=DNS:example.test', '2'),
  };
}
