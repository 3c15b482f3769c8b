import {
  type ClientCredentialsInput,
  ClientCredentialsTokenProvider,
  TokenManager,
  type TokenManagerOptions,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceRoute,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** The servers of one test file, and managers that are closed after each test. */
export interface TestkitFixture {
  readonly auth: AuthServer;
  readonly api: ResourceServer;
  /** A client-credentials manager (the `post` client) closed after the current test. */
  /** A manager for the server's `post` client, with `options` (closed after each test). */
  manager(options?: TokenManagerOptions): TokenManager<ClientCredentialsInput | undefined>;
}

/**
 * Starts a testkit authorization server and resource server for the calling
 * test file (in `beforeAll`), stops them after it, and closes every manager
 * made with `fixture.manager()` after each test.
 *
 * @example
 * ```ts
 * const kit = useTestkit();
 * it('is authorized', async () => {
 *   const client = axios.create({ baseURL: kit.api.url });
 *   withForge(client, kit.manager());
 * });
 * ```
 */
export function useTestkit(
  options: { routes?: Readonly<Record<string, ResourceRoute>> } = {},
): TestkitFixture {
  let auth: AuthServer | undefined;
  let api: ResourceServer | undefined;
  const managers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    auth = await startAuthServer();
    api = await startResourceServer({
      auth,
      ...(options.routes ? { routes: options.routes } : {}),
    });
  });
  afterAll(async () => {
    await api?.close();
    await auth?.close();
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.close()));
  });

  const started = <T>(server: T | undefined): T => {
    if (server === undefined) throw new Error('useTestkit(): the servers start in beforeAll');
    return server;
  };
  return {
    get auth() {
      return started(auth);
    },
    get api() {
      return started(api);
    },
    manager(managerOptions?: TokenManagerOptions) {
      const { clientId, clientSecret } = started(auth).clients.post;
      const created = new TokenManager(
        new ClientCredentialsTokenProvider({
          clientId,
          clientSecret,
          clientAuth: 'client_secret_post',
          tokenEndpoint: started(auth).tokenEndpoint,
        }),
        managerOptions,
      );
      managers.push(created);
      return created;
    },
  };
}
