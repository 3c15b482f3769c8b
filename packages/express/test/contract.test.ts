import { randomUUID } from 'node:crypto';
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
  runAdapterContract,
  webStream,
} from '@forge/testkit/conformance';
import express5 from 'express';
import express4 from 'express4';
import { type ForgeFetchInit, forge, ServiceAuthorizationError } from '../src/index.js';
import { listen } from './setup.js';

const SERVICE = 'api';

/** One contract request: what the handler hands `req.forge.fetch`, and what it threw. */
interface Call {
  readonly path: string;
  readonly init: ForgeFetchInit;
  failure?: { readonly error: unknown };
}

// fetch has no JSON helper: a handler sends JSON as its users do, serialized
// and typed by hand. Streams go as a web ReadableStream, which needs `duplex`.
function fetchInit(
  method: string,
  body: ContractBody | undefined,
  options: ContractRequestOptions | undefined,
): ForgeFetchInit {
  const headers: Record<string, string> = { ...options?.headers };
  const forgeOption = options?.key === undefined ? {} : { forge: { key: options.key } };
  if (body === undefined) return { method, headers, ...forgeOption };
  if (isStreamBody(body)) {
    // `duplex` is fetch's, missing from TypeScript's DOM RequestInit.
    const streamed: ForgeFetchInit & { duplex: 'half' } = {
      method,
      headers,
      body: webStream(body),
      duplex: 'half',
      ...forgeOption,
    };
    return streamed;
  }
  if (isJsonBody(body)) {
    const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (!typed) headers['content-type'] = 'application/json';
    return { method, headers, body: JSON.stringify(body.json), ...forgeOption };
  }
  return { method, headers, body, ...forgeOption };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The contract through a real Express app on 127.0.0.1: the contract's base
 * URL is a service (`{ baseURL, manager, policy, key }`), and each contract
 * request is an HTTP request to the app whose handler makes it with
 * `req.forge.fetch` and answers with the upstream's status and body. What the
 * handler's `req.forge.fetch` threw is rethrown to the contract as is.
 */
function expressBinding(name: string, express: typeof express5): AdapterBinding {
  return {
    name,
    // A ReadableStream init.body is sent once (@forge/fetch): its 401 is the answer.
    replaysStreamBodies: false,
    answersStreamUnauthorized: true,
    // A service takes a `manager` or a `provider`, not a request signer.
    acceptsAuthorizer: false,
    // req.forge.fetch rejects with the ServiceAuthorizationError a handler
    // answers with (502/503); the request's own error is its cause.
    requestError: (thrown) => (thrown instanceof ServiceAuthorizationError ? thrown.cause : thrown),
    optionName: (option) =>
      option === 'authorizer' ? `services.${SERVICE}.manager` : `services.${SERVICE}.${option}`,
    makeClient(
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager<unknown>,
      options?: ForgeOptions,
    ): ContractClient {
      const middleware = forge({
        services: { [SERVICE]: { baseURL, manager: authorizerOrManager, ...options } as never },
      });
      const calls = new Map<string, Call>();
      const app = express();
      app.use(middleware);
      app.get('/call/:id', async (req, res) => {
        const call = calls.get(String(req.params.id));
        if (call === undefined) {
          res.status(404).end();
          return;
        }
        try {
          const upstream = await req.forge.fetch(SERVICE, call.path, call.init);
          const type = upstream.headers.get('content-type');
          if (type !== null) res.setHeader('content-type', type);
          res.status(upstream.status).send(Buffer.from(await upstream.arrayBuffer()));
        } catch (error) {
          call.failure = { error };
          res.status(500).end();
        }
      });
      const server = listen(app as unknown as express5.Express);

      const send = async (path: string, init: ForgeFetchInit): Promise<ContractResponse> => {
        const id = randomUUID();
        const call: Call = { path, init };
        calls.set(id, call);
        try {
          const response = await fetch(`${(await server).url}/call/${id}`);
          const text = await response.text();
          if (call.failure !== undefined) throw call.failure.error;
          return { status: response.status, body: parse(text) };
        } finally {
          calls.delete(id);
        }
      };
      return {
        get: (pathOrUrl, opts) => send(pathOrUrl, fetchInit('GET', undefined, opts)),
        post: (pathOrUrl, body, opts) => send(pathOrUrl, fetchInit('POST', body, opts)),
        close: async () => {
          await (await server).close();
          await middleware.close();
        },
      };
    },
  };
}

runAdapterContract(expressBinding('Express 5 req.forge.fetch', express5));
runAdapterContract(
  expressBinding('Express 4 req.forge.fetch', express4 as unknown as typeof express5),
);
