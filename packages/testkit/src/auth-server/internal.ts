import type { Provider } from 'oidc-provider';
import type { LoopbackTls } from '../shared/listen.js';

/** What a resource server needs from the authorization server it trusts; not public API. */
export interface AuthServerInternals {
  readonly provider: Provider;
  /** Order in which access tokens were issued, by token value: lets `revokeAll()` be exact. */
  issueSequence(token: string): number | undefined;
  /** Sequence number of the newest access token so far. */
  lastIssued(): number;
  /** With `{ mtls: true }`: the certificate a resource server serves HTTPS with, and the test CA. */
  readonly tls?: LoopbackTls | undefined;
}

export const internals = new WeakMap<object, AuthServerInternals>();
