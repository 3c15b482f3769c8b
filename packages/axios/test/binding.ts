import type { AuthorizerOrManager, RequestPolicyOptions } from '@forge/core';
import {
  type AdapterBinding,
  type ContractClient,
  type ContractResponse,
  type JsonBody,
  nodeStream,
  type StreamBody,
} from '@forge/test-utils';
import type { AxiosInstance, AxiosStatic } from 'axios';
import { withForge } from '../src/index.js';

function isStream(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && 'chunks' in body;
}

function isJson(body: unknown): body is JsonBody {
  return typeof body === 'object' && body !== null && 'json' in body;
}

// axios serializes object data itself: that is its JSON body.
function axiosData(body: string | URLSearchParams | StreamBody | JsonBody): unknown {
  if (isStream(body)) return nodeStream(body);
  return isJson(body) ? body.json : body;
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
      authorizerOrManager: AuthorizerOrManager,
      options?: RequestPolicyOptions,
    ): ContractClient {
      const instance: AxiosInstance = axios.create({ baseURL });
      const eject = withForge(instance, authorizerOrManager, options);
      return {
        get: (url, opts) => answer(() => instance.get(url, { headers: { ...opts?.headers } })),
        post: (url, body, opts) =>
          answer(() =>
            instance.post(url, axiosData(body), {
              headers: { ...opts?.headers },
            }),
          ),
        uninstall: eject,
      };
    },
  };
}
