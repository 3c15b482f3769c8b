import type { ForgeOptions } from '@forge/core';
import type { AuthorizerOrManager } from '@forge/core/adapter';
import {
  type AdapterBinding,
  type ContractBody,
  type ContractClient,
  type ContractRequestOptions,
  type ContractResponse,
  isJsonBody,
  isStreamBody,
  webStream,
} from '@forge/testkit/conformance';
import { withForge } from '../src/index.js';

/** The ky surface the binding uses, shared by ky 1 and ky 2. */
export interface KyClient {
  (url: string, options?: Record<string, unknown>): Promise<Response>;
  create(options: Record<string, unknown>): KyClient;
  extend(options: object): KyClient;
}

function kyBody(body: ContractBody): object {
  if (isStreamBody(body)) return { body: webStream(body), duplex: 'half' };
  return isJsonBody(body) ? { json: body.json } : { body };
}

// The request's key goes in ky's own per-request `context`.
function requestOptions(opts: ContractRequestOptions | undefined): Record<string, unknown> {
  return {
    headers: { ...opts?.headers },
    ...(opts?.key === undefined ? {} : { context: { forge: { key: opts.key } } }),
  };
}

async function answer(run: () => Promise<Response>): Promise<ContractResponse> {
  let response: Response;
  try {
    response = await run();
  } catch (error) {
    const failed = error as { response?: unknown; data?: unknown };
    if (!(failed.response instanceof Response)) throw error;
    // ky 2 has already read the body of an HTTPError into `data`.
    if (failed.response.bodyUsed) return { status: failed.response.status, body: failed.data };
    response = failed.response;
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body };
}

/**
 * The contract binding for one copy of ky (2, or the ky 1 alias), with the
 * contract's base URL as the instance's `prefix` (`prefixUrl` in ky 1): the
 * origin Forge sends credentials to, named nowhere else.
 */
export function kyBinding(
  name: string,
  ky: KyClient,
  prefix: 'prefix' | 'prefixUrl',
): AdapterBinding {
  return {
    name,
    replaysStreamBodies: true,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager<unknown>,
      options?: ForgeOptions,
    ): ContractClient {
      const client = withForge(ky.create({ [prefix]: baseURL }), authorizerOrManager, options);
      // An absolute URL goes without the prefix; a path is joined to it without its leading slash.
      const call = (pathOrUrl: string, init: Record<string, unknown>) =>
        /^https?:/.test(pathOrUrl)
          ? client(pathOrUrl, { ...init, [prefix]: '' })
          : client(pathOrUrl.replace(/^\//, ''), init);
      return {
        get: (pathOrUrl, opts) => answer(() => call(pathOrUrl, requestOptions(opts))),
        post: (pathOrUrl, body, opts) =>
          answer(() =>
            call(pathOrUrl, { method: 'post', ...requestOptions(opts), ...kyBody(body) }),
          ),
      };
    },
  };
}
