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
import type { Got } from 'got';
import { withForge } from '../src/index.js';

function gotBody(body: ContractBody): object {
  if (body instanceof URLSearchParams) return { form: Object.fromEntries(body) };
  if (isJsonBody(body)) return { json: body.json };
  return { body: isStreamBody(body) ? nodeStream(body) : body };
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

// An absolute URL skips the prefix; the request's key goes in got's own `context`.
function requestOptions(pathOrUrl: string, opts: ContractRequestOptions | undefined): object {
  return {
    ...(pathOrUrl.startsWith('http') ? { prefixUrl: '' } : {}),
    headers: { ...opts?.headers },
    ...(opts?.key === undefined ? {} : { context: { forge: { key: opts.key } } }),
  };
}

/** The contract binding for one copy of got (16, or the 14 alias). */
export function gotBinding(name: string, got: Got): AdapterBinding {
  return {
    name,
    replaysStreamBodies: false,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager<unknown>,
      options?: ForgeOptions,
    ): ContractClient {
      const client = withForge(got.extend({ prefixUrl: baseURL }), authorizerOrManager, options);
      return {
        get: (pathOrUrl, opts) =>
          answer(() => client(target(pathOrUrl), requestOptions(pathOrUrl, opts)) as never),
        post: (pathOrUrl, body, opts) =>
          answer(
            () =>
              client(target(pathOrUrl), {
                ...requestOptions(pathOrUrl, opts),
                method: 'POST',
                ...gotBody(body),
              }) as never,
          ),
      };
    },
  };
}
