import {
  type ClientCredentialsInput,
  ClientCredentialsTokenProvider,
  TokenManager,
} from '@forge/core';
import {
  type AuthServer,
  type MtlsKit,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** What a TLS client needs: the CA to trust, and the certificate to present, if any. */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/** What the suite asks of an adapter: a Forge client that presents `tls`, reduced to a GET. */
export type MtlsClientFactory = (options: {
  readonly manager: TokenManager<ClientCredentialsInput | undefined>;
  readonly tls: TlsMaterial;
  /** The origins the policy lets receive the token. */
  readonly origins: readonly string[];
  /** Runs `close` after the test (an Agent, an app the client needs). */
  readonly cleanup: (close: () => Promise<unknown>) => void;
}) => (url: string) => Promise<{ readonly status: number; readonly body: unknown }>;

/**
 * Certificate-bound tokens through a real adapter: an authorization server
 * with mutual TLS, a resource server on HTTPS that checks `cnf.x5t#S256`, and
 * a second one on another origin the policy leaves out. The manager gets its
 * tokens with `tls_client_auth` through an undici Agent; the adapter's own
 * transport presents the certificate on resource requests.
 *
 * @example
 * ```ts
 * mtlsAdapterSuite('axios', ({ manager, tls, origins }) => {
 *   const api = withForge(axios.create({ httpsAgent: new https.Agent(tls) }), manager, { policy: { origins } });
 *   return async (url) => { const r = await api.get(url, { validateStatus: () => true }); return { status: r.status, body: r.data }; };
 * });
 * ```
 */
export function mtlsAdapterSuite(name: string, makeClient: MtlsClientFactory): void {
  describe(`${name} with mutual TLS (certificate-bound tokens)`, () => {
    let auth: AuthServer & { readonly mtls: MtlsKit };
    let api: ResourceServer;
    let elsewhere: ResourceServer;
    const closers: (() => Promise<unknown>)[] = [];

    beforeAll(async () => {
      auth = await startAuthServer({ mtls: true });
      [api, elsewhere] = await Promise.all([
        startResourceServer({ auth, mtls: true }),
        startResourceServer({ auth, mtls: true }),
      ]);
    });
    afterEach(async () => {
      await Promise.all(closers.splice(0).map((close) => close()));
    });
    afterAll(async () => {
      await Promise.all([api?.close(), elsewhere?.close()]);
      await auth?.close();
    });

    function manager(): TokenManager<ClientCredentialsInput | undefined> {
      const { tls } = auth.mtls.clients;
      const dispatcher = new Agent({ connect: { ca: auth.mtls.ca, cert: tls.cert, key: tls.key } });
      const created = new TokenManager(
        new ClientCredentialsTokenProvider({
          clientId: tls.clientId,
          clientAuth: 'tls_client_auth',
          issuer: auth.issuer,
          dispatcher,
          timeoutMs: 5_000,
          retry: false,
        }),
      );
      closers.push(
        () => created.close(),
        () => dispatcher.close(),
      );
      return created;
    }

    function client(presented: 'own' | 'other' | 'none') {
      const { ca, clients } = auth.mtls;
      const certificate =
        presented === 'own'
          ? clients.tls
          : presented === 'other'
            ? auth.mtls.issueCertificate()
            : undefined;
      const tls: TlsMaterial = certificate
        ? { ca, cert: certificate.cert, key: certificate.key }
        : { ca };
      return makeClient({
        manager: manager(),
        tls,
        origins: [api.url],
        cleanup: (close) => closers.push(close),
      });
    }

    it('a bound token is accepted with the certificate it is bound to', async () => {
      const before = auth.tokenRequests(auth.mtls.clients.tls.clientId);
      const answer = await client('own')(`${api.url}/orders`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        client_id: auth.mtls.clients.tls.clientId,
        'x5t#S256': auth.mtls.clients.tls.thumbprint,
      });
      expect(auth.tokenRequests(auth.mtls.clients.tls.clientId)).toBe(before + 1);
    });

    it('the same token is refused with another certificate, and with none', async () => {
      for (const presented of ['other', 'none'] as const) {
        const answer = await client(presented)(`${api.url}/orders`);
        expect(answer.status).toBe(401);
        expect(api.lastRequest()).toMatchObject({ status: 401, hadAuthorization: true });
      }
    });

    it('a same-origin redirect is followed with the certificate and the token', async () => {
      const to = encodeURIComponent(`${api.url}/orders/7`);
      const answer = await client('own')(`${api.url}/redirect?to=${to}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        path: '/orders/7',
        'x5t#S256': auth.mtls.clients.tls.thumbprint,
      });
    });

    it('never sends the token to an origin the policy leaves out, directly or by redirect', async () => {
      const direct = await client('own')(`${elsewhere.url}/orders`);
      expect(direct.status).toBe(401);
      expect(elsewhere.lastRequest()).toMatchObject({ hadAuthorization: false });
      const to = encodeURIComponent(`${elsewhere.url}/orders`);
      const redirected = await client('own')(`${api.url}/redirect?to=${to}`);
      expect(redirected.status).toBe(401);
      expect(elsewhere.requestLog().every((record) => !record.hadAuthorization)).toBe(true);
    });
  });
}
