import type { Authorizer, ForgeOptions } from '@forge/core';
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
import { type ForgeRequestInit, withForge } from '../src/index.js';

function isAuthorizer(value: unknown): value is Authorizer {
  return typeof (value as Partial<Authorizer> | null)?.authorize === 'function';
}

async function answer(response: Response): Promise<ContractResponse> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body };
}

function init(options: ContractRequestOptions | undefined): ForgeRequestInit {
  return {
    headers: { ...options?.headers },
    ...(options?.key === undefined ? {} : { forge: { key: options.key } }),
  };
}

/**
 * The contract binding for `withForge(fetch)`. fetch has no base URL: a
 * manager gets the API's origin as `policy.baseURL`, as its users write it.
 * JSON is sent as fetch users send it (`JSON.stringify`, `application/json`).
 * A streamed body goes in a `Request`, which Forge clones before sending and
 * so resends after a 401; a stream passed as `init.body` is sent once and its
 * 401 handed back, which the contract has no case for: with-forge.test.ts
 * covers it. `RequestClass` is the one of the fetch under test (undici's own
 * fetch does not know the global `Request`).
 */
export function fetchBinding(
  name: string,
  fetch: typeof globalThis.fetch,
  RequestClass: typeof Request = Request,
): AdapterBinding {
  return {
    name,
    replaysStreamBodies: true,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager<unknown>,
      options?: ForgeOptions,
    ): ContractClient {
      const api = withForge(
        fetch,
        authorizerOrManager,
        isAuthorizer(authorizerOrManager)
          ? options
          : { ...options, policy: { baseURL, ...options?.policy } },
      );
      const url = (pathOrUrl: string) =>
        pathOrUrl.startsWith('http') ? pathOrUrl : `${baseURL}${pathOrUrl}`;
      const post = async (
        pathOrUrl: string,
        body: ContractBody,
        options?: ContractRequestOptions,
      ): Promise<Response> => {
        const request = init(options);
        if (isStreamBody(body)) {
          const streamed = new RequestClass(url(pathOrUrl), {
            method: 'POST',
            headers: request.headers,
            body: webStream(body),
            duplex: 'half',
          } as RequestInit);
          return api(streamed, { forge: request.forge });
        }
        if (isJsonBody(body)) {
          return api(url(pathOrUrl), {
            ...request,
            method: 'POST',
            headers: { 'content-type': 'application/json', ...options?.headers },
            body: JSON.stringify(body.json),
          });
        }
        return api(url(pathOrUrl), { ...request, method: 'POST', body });
      };
      return {
        get: async (pathOrUrl, options) => answer(await api(url(pathOrUrl), init(options))),
        post: async (pathOrUrl, body, options) => answer(await post(pathOrUrl, body, options)),
      };
    },
  };
}
