import { describe, expect, it } from 'vitest';
import { anySignal, sleep } from './abort.js';

describe('anySignal', () => {
  it('aborts with the reason of the source, natively and in the fallback', () => {
    const native = AbortSignal.any;
    for (const useFallback of [false, true]) {
      if (useFallback) (AbortSignal as { any?: unknown }).any = undefined;
      try {
        const a = new AbortController();
        const b = new AbortController();
        const { signal, dispose } = anySignal([a.signal, b.signal]);
        expect(signal.aborted).toBe(false);
        b.abort('second');
        expect(signal.aborted).toBe(true);
        expect(signal.reason).toBe('second');
        dispose();
        const done = new AbortController();
        done.abort('already');
        expect(anySignal([new AbortController().signal, done.signal]).signal.reason).toBe(
          'already',
        );
      } finally {
        AbortSignal.any = native;
      }
    }
  });

  it('the fallback detaches from long-lived signals on dispose', () => {
    const native = AbortSignal.any;
    (AbortSignal as { any?: unknown }).any = undefined;
    try {
      const longLived = new AbortController();
      let listeners = 0;
      const add = longLived.signal.addEventListener.bind(longLived.signal);
      const remove = longLived.signal.removeEventListener.bind(longLived.signal);
      longLived.signal.addEventListener = ((...args: Parameters<typeof add>) => {
        listeners++;
        add(...args);
      }) as typeof add;
      longLived.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
        listeners--;
        remove(...args);
      }) as typeof remove;
      for (let i = 0; i < 100; i++)
        anySignal([longLived.signal, new AbortController().signal]).dispose();
      expect(listeners).toBe(0);
    } finally {
      AbortSignal.any = native;
    }
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort('stop');
    await expect(pending).rejects.toBe('stop');
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});
