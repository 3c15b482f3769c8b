import { Readable } from 'node:stream';

/** A body a contract client must send as a stream, in the client's own stream type. */
export interface StreamBody {
  readonly chunks: readonly string[];
}

/**
 * A value the client itself serializes as JSON: axios object `data`, got and
 * ky `json`. A client without such a helper (`fetch`) sends
 * `JSON.stringify(json)` as `application/json`, as its users do.
 */
export interface JsonBody {
  readonly json: unknown;
}

/** Every body a contract request sends. */
export type ContractBody = string | URLSearchParams | StreamBody | JsonBody;

/**
 * Whether `body` is a {@link StreamBody}.
 *
 * @example
 * ```ts
 * const data = isStreamBody(body) ? nodeStream(body) : body;
 * ```
 */
export function isStreamBody(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && 'chunks' in body;
}

/**
 * Whether `body` is a {@link JsonBody}.
 *
 * @example
 * ```ts
 * const options = isJsonBody(body) ? { json: body.json } : { body };
 * ```
 */
export function isJsonBody(body: unknown): body is JsonBody {
  return typeof body === 'object' && body !== null && 'json' in body;
}

/**
 * A {@link StreamBody} as a Node `Readable`, for clients that take one (axios, got).
 *
 * @example
 * ```ts
 * await client.post(url, nodeStream({ chunks: ['{"a":', '1}'] }));
 * ```
 */
export function nodeStream(body: StreamBody): Readable {
  return Readable.from(body.chunks);
}

/**
 * A {@link StreamBody} as a web `ReadableStream`, for fetch-based clients
 * (send it with `duplex: 'half'`).
 *
 * @example
 * ```ts
 * await fetch(url, { method: 'POST', body: webStream(body), duplex: 'half' } as RequestInit);
 * ```
 */
export function webStream(body: StreamBody): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of body.chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}
