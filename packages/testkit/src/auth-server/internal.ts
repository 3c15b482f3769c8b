import type { Provider } from 'oidc-provider';

/** What a resource server needs from the authorization server it trusts; not public API. */
export interface AuthServerInternals {
  readonly provider: Provider;
  /** Order in which access tokens were issued, by token value: lets `revokeAll()` be exact. */
  issueSequence(token: string): number | undefined;
  /** Sequence number of the newest access token so far. */
  lastIssued(): number;
}

export const internals = new WeakMap<object, AuthServerInternals>();
