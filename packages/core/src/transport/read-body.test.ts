import { describe, expect, it } from 'vitest';
import { readLimitedText } from './read-body.js';

const encoder = new TextEncoder();

/** A body stream of `chunks`, recording how far it was read and whether it was cancelled. */
function streamed(chunks: readonly string[], headers: Record<string, string> = {}) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[state.pulled];
      state.pulled += 1;
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { response: new Response(body, { headers }), state };
}

describe('readLimitedText', () => {
  it('reads a body within the limit, multi-byte characters split across chunks included', async () => {
    const euro = encoder.encode('€');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"a":"'));
        controller.enqueue(euro.slice(0, 1));
        controller.enqueue(euro.slice(1));
        controller.enqueue(encoder.encode('"}'));
        controller.close();
      },
    });
    expect(await readLimitedText(new Response(body), 64)).toBe('{"a":"€"}');
    expect(await readLimitedText(new Response('x'.repeat(64)), 64)).toBe('x'.repeat(64));
  });

  it('stops reading and cancels the stream as soon as the limit is passed', async () => {
    const { response, state } = streamed(Array.from({ length: 1_000 }, () => 'x'.repeat(100)));
    expect(await readLimitedText(response, 250)).toBeUndefined();
    expect(state.pulled).toBeLessThanOrEqual(4);
    expect(state.cancelled).toBe(true);
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const { response, state } = streamed(['small'], { 'content-length': '5000' });
    expect(await readLimitedText(response, 1_000)).toBeUndefined();
    expect(state.cancelled).toBe(true);
  });

  it('falls back to text() only when there is no body stream, and still applies the limit', async () => {
    const noStream = (text: string) =>
      ({ body: null, headers: new Headers(), text: async () => text }) as unknown as Response;
    expect(await readLimitedText(noStream('{"a":1}'), 64)).toBe('{"a":1}');
    expect(await readLimitedText(noStream('€'.repeat(30)), 64)).toBeUndefined();
    expect(await readLimitedText(new Response(null), 64)).toBe('');
  });
});
