/**
 * Reads a response body as UTF-8 text, at most `maxBytes` of it. The limit is
 * enforced while streaming: once the body (or its declared `Content-Length`)
 * passes it, reading stops and the stream is cancelled, which drops the
 * connection, so a server that sends without end costs `maxBytes`, not
 * memory until the process dies. Resolves to `undefined` when the body is
 * over the limit. Only a response without a body stream (a custom `fetch`
 * may return one) is read with `text()`, and measured afterwards.
 *
 * @example
 * ```ts
 * const text = await readLimitedText(response, 1_048_576);
 * if (text === undefined) throw new Error('body too large');
 * ```
 */
export async function readLimitedText(
  response: Response,
  maxBytes: number,
): Promise<string | undefined> {
  const body = response.body;
  const declared = Number(response.headers.get('content-length') ?? '');
  if (declared > maxBytes) {
    if (body) discard(body.cancel());
    return undefined;
  }
  if (!body) {
    const text = await response.text();
    return new TextEncoder().encode(text).byteLength > maxBytes ? undefined : text;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let received = 0;
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      received += value.byteLength;
      if (received > maxBytes) {
        // Not awaited: a stream that never settles its cancel must not hold the caller.
        discard(reader.cancel());
        return undefined;
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

function discard(pending: Promise<unknown>): void {
  pending.catch(() => undefined);
}
