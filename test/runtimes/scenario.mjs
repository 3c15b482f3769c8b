// What every runtime runs: the built @forge/core, @forge/fetch and @forge/oauth1
// (their ESM dist, resolved through the packages' `import` condition) against the
// servers the Node harness started on 127.0.0.1. Only web platform APIs here, so the
// same module runs on Node, Deno, Bun and workerd; each step returns plain data the
// harness asserts on, never a token or a secret.
import {
  ClientCredentialsTokenProvider,
  clientSecretBasic,
  privateKeyJwt,
  TokenManager,
} from '@forge/core';
import { withForge } from '@forge/fetch';
import { oauth1Authorizer } from '@forge/oauth1';

/** The runtime and its version, as the runtime itself reports them. */
export function runtimeName() {
  if (typeof globalThis.Deno === 'object') return `deno ${globalThis.Deno.version.deno}`;
  if (typeof globalThis.Bun === 'object') return `bun ${globalThis.Bun.version}`;
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  return `node ${globalThis.process.versions.node}`;
}

async function read(response) {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/**
 * The clients of one run, built from the harness's config. Construction sends
 * nothing, so a Worker can build them at module scope; the steps send requests.
 */
export function createSteps(config, fetchFn = globalThis.fetch) {
  const basic = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'runtimes-basic',
      // The issuer, not the token endpoint: discovery runs on this runtime's fetch too.
      issuer: config.issuer,
      clientAuth: clientSecretBasic(config.basic.clientId, config.basic.clientSecret),
    }),
  );
  const keyJwt = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'runtimes-private-key-jwt',
      tokenEndpoint: config.tokenEndpoint,
      clientAuth: privateKeyJwt(config.privateKeyJwt.clientId, config.privateKeyJwt.privateKeyPem, {
        kid: config.privateKeyJwt.kid,
        alg: config.privateKeyJwt.alg,
      }),
    }),
  );
  const policy = { baseURL: config.apiUrl };
  const api = withForge(fetchFn, basic, { policy });
  const keyJwtApi = withForge(fetchFn, keyJwt, { policy });
  const oauth1 = withForge(
    fetchFn,
    oauth1Authorizer({
      ...config.oauth1.credentials,
      signatureMethod: 'HMAC-SHA256',
      policy: { baseURL: config.oauth1.url },
    }),
  );

  return {
    /** client_secret_basic: the protected API through withForge. */
    async basic() {
      const { status, body } = await read(await api(`${config.apiUrl}/orders?page=1`));
      return { status, clientId: body.client_id };
    },
    /** private_key_jwt (an ES256 assertion signed with Web Crypto). */
    async privateKeyJwt() {
      const { status, body } = await read(await keyJwtApi(`${config.apiUrl}/orders`));
      return { status, clientId: body.client_id };
    },
    /** Another origin, asked directly and through a redirect from the API. */
    async foreign() {
      const direct = await read(await api(`${config.foreignUrl}/direct`));
      const target = encodeURIComponent(`${config.foreignUrl}/redirected`);
      const redirected = await read(await api(`${config.apiUrl}/redirect?to=${target}`));
      return { direct: direct.status, redirected: redirected.status };
    },
    /** OAuth 1.0a: a query string and a signed form body. */
    async oauth1() {
      const get = await oauth1(`${config.oauth1.url}/statuses/1?include=entities&q=a%20b`);
      const post = await oauth1(`${config.oauth1.url}/statuses/update`, {
        method: 'POST',
        body: new URLSearchParams({ status: `Hello from ${runtimeName()} ~*!` }),
      });
      return { get: get.status, post: post.status };
    },
    /**
     * Mutual TLS is configuration only here: which transports a certificate
     * client accepts. An option name is a ConfigurationError naming it;
     * `built` means the provider was made.
     */
    mtlsConfiguration() {
      const outcome = (options) => {
        try {
          new ClientCredentialsTokenProvider({
            clientId: 'mtls-client',
            clientAuth: 'tls_client_auth',
            tokenEndpoint: config.tokenEndpoint,
            ...options,
          });
          return 'built';
        } catch (error) {
          return error?.code === 'FORGE_CONFIGURATION'
            ? error.option
            : `${error?.name}: ${error?.message}`;
        }
      };
      return {
        withoutTransport: outcome({}),
        dispatcher: outcome({ dispatcher: { dispatch: () => true } }),
        fetch: outcome({ fetch: fetchFn }),
      };
    },
    async close() {
      await basic.close();
      await keyJwt.close();
    },
  };
}

/**
 * The whole scenario in one process (Node, Deno, Bun). The revocation is the
 * harness's: the control server revokes every token issued so far.
 */
export async function runAll(config) {
  const steps = createSteps(config);
  try {
    const results = { runtime: runtimeName() };
    results.basic = [await steps.basic(), await steps.basic()];
    results.privateKeyJwt = await steps.privateKeyJwt();
    const revoked = await fetch(`${config.controlUrl}/revoke`, { method: 'POST' });
    await revoked.body?.cancel();
    results.afterRevocation = await steps.basic();
    results.foreign = await steps.foreign();
    results.oauth1 = await steps.oauth1();
    results.mtlsConfiguration = steps.mtlsConfiguration();
    return results;
  } finally {
    await steps.close();
  }
}
