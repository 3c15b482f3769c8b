import type { AuthorizerOrManager, RequestPolicyOptions } from '@forge/core';
import type {
  AdapterBinding,
  ContractClient,
  ContractResponse,
  JsonBody,
  StreamBody,
} from '@forge/testkit/conformance';
import { withForge } from '../src/index.js';

/** The ky surface the binding uses, shared by ky 1 and ky 2. */
interface KyClient {
  (url: string, options?: Record<string, unknown>): Promise<Response>;
  create(options: Record<string, unknown>): KyClient;
  extend(options: object): KyClient;
  retry?(options?: object): unknown;
}

function isStream(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && 'chunks' in body;
}

function isJson(body: unknown): body is JsonBody {
  return typeof body === 'object' && body !== null && 'json' in body;
}

function kyBody(body: string | URLSearchParams | StreamBody | JsonBody): object {
  if (isStream(body)) return { body: webStream(body), duplex: 'half' };
  return isJson(body) ? { json: body.json } : { body };
}

function webStream(body: StreamBody): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of body.chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
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

/** The contract binding for one copy of ky (2, or the ky 1 alias). */
export function kyBinding(name: string, ky: KyClient): AdapterBinding {
  return {
    name,
    replaysStreamBodies: true,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager,
      options?: RequestPolicyOptions,
    ): ContractClient {
      const client = withForge(ky.create({}), authorizerOrManager, { baseURL, ...options });
      const url = (pathOrUrl: string) =>
        pathOrUrl.startsWith('http') ? pathOrUrl : `${baseURL}${pathOrUrl}`;
      return {
        get: (pathOrUrl, opts) =>
          answer(() => client(url(pathOrUrl), { headers: { ...opts?.headers } })),
        post: (pathOrUrl, body, opts) =>
          answer(() =>
            client(url(pathOrUrl), {
              method: 'post',
              headers: { ...opts?.headers },
              ...kyBody(body),
            }),
          ),
      };
    },
  };
}
