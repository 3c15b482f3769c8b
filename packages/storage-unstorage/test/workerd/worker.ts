// A Worker keeping its token in Workers KV: @forge/core's TokenManager over
// UnstorageTokenStorage on unstorage's cloudflare-kv-binding driver, built from
// the workspace sources and run by workerd. It answers with plain data, never a token.
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { createStorage } from 'unstorage';
import cloudflareKVBindingDriver from 'unstorage/drivers/cloudflare-kv-binding';
import { UnstorageTokenStorage } from '../../src/index.js';

interface Env {
  readonly TOKENS: Parameters<typeof cloudflareKVBindingDriver>[0]['binding'];
  readonly CONFIG: string;
}

interface Config {
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiUrl: string;
  readonly key: string;
}

let manager: ReturnType<typeof managerFor> | undefined;

function managerFor(env: Env) {
  const config = JSON.parse(env.CONFIG) as Config;
  const storage = new UnstorageTokenStorage(
    createStorage({ driver: cloudflareKVBindingDriver({ binding: env.TOKENS }) }),
    { encryption: { key: config.key } },
  );
  return new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      tokenEndpoint: config.tokenEndpoint,
    }),
    { storage },
  );
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    try {
      manager ??= managerFor(env);
      const config = JSON.parse(env.CONFIG) as Config;
      const token = await manager.getToken();
      const response = await fetch(`${config.apiUrl}/orders/1`, {
        headers: { authorization: token.authorizationHeader },
      });
      await response.body?.cancel();
      return Response.json({
        status: response.status,
        capabilities: manager.storageCapabilities,
        runtime: navigator.userAgent,
      });
    } catch (error) {
      const problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return Response.json({ error: problem }, { status: 500 });
    }
  },
};
