import { ClientCredentialsTokenProvider, TokenManager, type TokenStorage } from '@forge/core';
import type { DemoServers } from './types.js';

/** The client credentials every adapter uses, against the demo's authorization server. */
export function orderServiceCredentials({ auth }: DemoServers) {
  return {
    type: 'client_credentials' as const,
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
    tokenEndpoint: auth.tokenEndpoint,
  };
}

/** A fresh token manager, so each adapter starts without a token. */
export function ordersManager(
  servers: DemoServers,
  storage?: TokenStorage,
): TokenManager<undefined> {
  const { type: _type, ...credentials } = orderServiceCredentials(servers);
  return new TokenManager(
    new ClientCredentialsTokenProvider({ serviceName: 'orders', ...credentials }),
    storage ? { storage } : {},
  );
}
