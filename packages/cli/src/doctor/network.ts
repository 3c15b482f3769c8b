import { ExitCode } from '../exit-codes.js';
import { type Check, fail } from './check.js';
import type { Exchange } from './recorder.js';

interface Explanation {
  readonly what: string;
  readonly fix: string;
}

const TRUST =
  'If the server uses a private CA, trust it: NODE_EXTRA_CA_CERTS=/path/to/ca.pem forge … (and the same variable for your service). Never turn certificate checks off.';

/** Network and TLS error codes Node's fetch reports, in words, with a fix. */
const CODES: Readonly<Record<string, Explanation>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: { what: 'presents a self-signed TLS certificate', fix: TRUST },
  SELF_SIGNED_CERT_IN_CHAIN: {
    what: 'presents a certificate chain that ends in a self-signed CA this machine does not trust',
    fix: TRUST,
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    what: 'presents a certificate this machine cannot verify (an unknown CA, or the server does not send its intermediate certificates)',
    fix: `Have the server send its full chain. ${TRUST}`,
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    what: 'presents a certificate from a CA this machine does not know',
    fix: TRUST,
  },
  UNABLE_TO_GET_ISSUER_CERT: {
    what: 'presents a certificate whose issuer is missing from the chain',
    fix: `Have the server send its full chain. ${TRUST}`,
  },
  CERT_HAS_EXPIRED: {
    what: 'presents an expired TLS certificate',
    fix: "Renew the server certificate. If it looks valid, check this machine's clock.",
  },
  CERT_NOT_YET_VALID: {
    what: 'presents a TLS certificate that is not valid yet',
    fix: "Check this machine's clock (and the server's), or wait for the certificate's start date.",
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    what: 'presents a TLS certificate for another host name',
    fix: 'Use the host name the certificate names (not an IP address or an alias), or have the certificate cover this name.',
  },
  ECONNREFUSED: {
    what: 'refused the connection (nothing listens on that host and port)',
    fix: 'Check the host and port of the URL, and that the server is running.',
  },
  ENOTFOUND: {
    what: 'has a host name DNS does not know',
    fix: 'Check the spelling of the host name, and DNS from this machine.',
  },
  EAI_AGAIN: {
    what: 'could not be resolved (DNS failed for now)',
    fix: 'Check DNS from this machine, then try again.',
  },
  ECONNRESET: {
    what: 'closed the connection without an answer',
    fix: 'A proxy or firewall may be in the way, or the URL speaks http to an https port: check the scheme and the network path.',
  },
  UND_ERR_SOCKET: {
    what: 'closed the connection without an answer',
    fix: 'A proxy or firewall may be in the way, or the URL speaks http to an https port: check the scheme and the network path.',
  },
  EPROTO: {
    what: 'did not speak TLS (https to a plain http port?)',
    fix: 'Check the scheme of the URL: http:// or https://.',
  },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    what: 'did not speak TLS (https to a plain http port?)',
    fix: 'Check the scheme of the URL: http:// or https://.',
  },
  ETIMEDOUT: {
    what: 'did not accept a connection in time',
    fix: 'Check the host, the port and any firewall between this machine and the server.',
  },
  UND_ERR_CONNECT_TIMEOUT: {
    what: 'did not accept a connection in time',
    fix: 'Check the host, the port and any firewall between this machine and the server.',
  },
  EHOSTUNREACH: {
    what: 'is unreachable from this machine',
    fix: 'Check routing, VPN and firewall.',
  },
  ENETUNREACH: {
    what: 'is on a network this machine cannot reach',
    fix: 'Check routing, VPN and firewall.',
  },
};

const TLS = /CERT|TLS|SSL|EPROTO/;

/**
 * The check for an exchange that got no answer: what the network or TLS
 * error means and what to do. `undefined` when the exchange was answered.
 */
export function networkCheck(
  id: string,
  exchange: Exchange | undefined,
  timeoutMs: number,
): Check | undefined {
  if (exchange === undefined || exchange.status !== undefined) return undefined;
  const origin = URL.canParse(exchange.url) ? new URL(exchange.url).origin : exchange.url;
  if (exchange.timedOut) {
    return fail(
      id,
      `${origin} did not answer within ${timeoutMs} ms`,
      'The server is slow or the request is dropped on the way: check the server and the network, or raise --timeout-ms.',
      ExitCode.Unreachable,
    );
  }
  if (exchange.errorMessage === 'bad port') {
    return fail(
      id,
      `${origin}: fetch refuses to connect to port ${new URL(exchange.url).port} (a port the Fetch standard blocks, such as 1, 9, 25 or 6000)`,
      'Serve the endpoint on another port (443, 8443, 8080, …).',
      ExitCode.Unreachable,
    );
  }
  const code = exchange.errorCode;
  const known = code === undefined ? undefined : CODES[code];
  if (known) {
    return fail(id, `${origin} ${known.what} (${code})`, known.fix, ExitCode.Unreachable);
  }
  return fail(
    id,
    `${origin} could not be reached${code ? ` (${code})` : ''}${code && TLS.test(code) ? ': a TLS error' : ''}`,
    'Check the URL, the network path and any proxy between this machine and the server.',
    ExitCode.Unreachable,
  );
}
