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
  nodeStream,
} from '@forge/testkit/conformance';
import type { AxiosRequestConfig, AxiosStatic } from 'axios';
import { withForge } from '../src/index.js';

// axios serializes object data itself: that is its JSON body.
function axiosData(body: ContractBody): unknown {
  if (isStreamBody(body)) return nodeStream(body);
  return isJsonBody(body) ? body.json : body;
}

// The request's key goes in axios's own per-request config.
function requestConfig(opts: ContractRequestOptions | undefined): AxiosRequestConfig {
  return {
    headers: { ...opts?.headers },
    ...(opts?.key === undefined ? {} : { forge: { key: opts.key } }),
  };
}

async function answer(
  run: () => Promise<{ status: number; data: unknown }>,
): Promise<ContractResponse> {
  try {
    const { status, data } = await run();
    return { status, body: data };
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown } }).response;
    if (response !== undefined) return { status: response.status, body: response.data };
    throw error;
  }
}

/** The contract binding for one copy of axios (latest, or the 1.6 alias). */
export function axiosBinding(name: string, axios: AxiosStatic): AdapterBinding {
  return {
    name,
    replaysStreamBodies: false,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager<unknown>,
      options?: ForgeOptions,
    ): ContractClient {
      const client = withForge(axios.create({ baseURL }), authorizerOrManager, options);
      return {
        get: (url, opts) => answer(() => client.get(url, requestConfig(opts))),
        post: (url, body, opts) =>
          answer(() => client.post(url, axiosData(body), requestConfig(opts))),
      };
    },
  };
}
