import type { RequestPolicyOptions } from '@forge/core';
import type { AuthorizerOrManager } from '@forge/core/adapter';
import {
  type AdapterBinding,
  type ContractClient,
  type ContractResponse,
  type JsonBody,
  nodeStream,
  type StreamBody,
} from '@forge/test-utils';
import type { Got } from 'got';
import { withForge } from '../src/index.js';

function isStream(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && 'chunks' in body;
}

function isJson(body: unknown): body is JsonBody {
  return typeof body === 'object' && body !== null && 'json' in body;
}

function gotBody(body: string | URLSearchParams | StreamBody | JsonBody): object {
  if (body instanceof URLSearchParams) return { form: Object.fromEntries(body) };
  if (isJson(body)) return { json: body.json };
  return { body: isStream(body) ? nodeStream(body) : body };
}

type GotResponse = { statusCode: number; body: string };

async function answer(run: () => Promise<GotResponse>): Promise<ContractResponse> {
  let response: GotResponse;
  try {
    response = await run();
  } catch (error) {
    const failed = (error as { response?: GotResponse }).response;
    if (failed === undefined) throw error;
    response = failed;
  }
  let body: unknown = response.body;
  try {
    body = JSON.parse(response.body);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.statusCode, body };
}

// got resolves paths against prefixUrl only without a leading slash.
const target = (pathOrUrl: string) => (pathOrUrl.startsWith('/') ? pathOrUrl.slice(1) : pathOrUrl);

/** The contract binding for one copy of got (16, or the 14 alias). */
export function gotBinding(name: string, got: Got): AdapterBinding {
  return {
    name,
    replaysStreamBodies: false,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager,
      options?: RequestPolicyOptions,
    ): ContractClient {
      const client = withForge(
        got.extend({ prefixUrl: baseURL }),
        authorizerOrManager,
        options === undefined ? undefined : { policy: options },
      );
      const absolute = (pathOrUrl: string) =>
        pathOrUrl.startsWith('http') ? { prefixUrl: '' } : {};
      return {
        get: (pathOrUrl, opts) =>
          answer(
            () =>
              client(target(pathOrUrl), {
                ...absolute(pathOrUrl),
                headers: { ...opts?.headers },
              }) as never,
          ),
        post: (pathOrUrl, body, opts) =>
          answer(
            () =>
              client(target(pathOrUrl), {
                ...absolute(pathOrUrl),
                method: 'POST',
                headers: { ...opts?.headers },
                ...gotBody(body),
              }) as never,
          ),
      };
    },
  };
}
