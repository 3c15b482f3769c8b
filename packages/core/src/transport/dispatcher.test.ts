import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { checkDispatcher, fetchTakesDispatcher, withDispatcher } from './dispatcher.js';

const dispatcher = { dispatch: () => true };

describe('fetchTakesDispatcher', () => {
  it('is true in Node only', () => {
    expect(fetchTakesDispatcher({ process: { versions: { node: '24.0.0' } } })).toBe(true);
    expect(fetchTakesDispatcher({ process: { versions: { node: '22.0.0', bun: '1.2.0' } } })).toBe(
      false,
    );
    expect(fetchTakesDispatcher({ process: { versions: { node: '22.0.0' } }, Deno: {} })).toBe(
      false,
    );
    expect(fetchTakesDispatcher({ process: { versions: { node: '22.0.0' } }, Bun: {} })).toBe(
      false,
    );
    expect(fetchTakesDispatcher({})).toBe(false);
    expect(fetchTakesDispatcher()).toBe(true);
  });
});

describe('checkDispatcher', () => {
  it('accepts an object with dispatch, and nothing', () => {
    expect(checkDispatcher(dispatcher)).toBe(dispatcher);
    expect(checkDispatcher(undefined)).toBeUndefined();
  });

  it('refuses anything else with a ConfigurationError naming undici', () => {
    for (const value of [null, 'agent', {}, { dispatch: 'yes' }]) {
      expect(() => checkDispatcher(value)).toThrow(ConfigurationError);
      expect(() => checkDispatcher(value)).toThrow(/undici dispatcher/);
    }
  });

  it('refuses a dispatcher on a runtime whose fetch ignores it, saying what works there', () => {
    vi.stubGlobal('Bun', {});
    try {
      expect(() => checkDispatcher(dispatcher)).toThrow(ConfigurationError);
      expect(() => checkDispatcher(dispatcher)).toThrow(
        /ignores an undici dispatcher.*Deno\.createHttpClient.*Browsers cannot present/,
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('withDispatcher', () => {
  it('adds the dispatcher to every init and keeps the rest', async () => {
    const seen: unknown[] = [];
    const base = (async (_input: unknown, init?: RequestInit) => {
      seen.push(init);
      return new Response('ok');
    }) as typeof fetch;
    await withDispatcher(base, dispatcher)('https://a.example', { method: 'POST' });
    expect(seen).toEqual([{ method: 'POST', dispatcher }]);
  });

  it('looks the platform fetch up per call', async () => {
    const platform = vi.fn(async () => new Response('ok'));
    vi.stubGlobal('fetch', platform);
    try {
      await withDispatcher(undefined, dispatcher)('https://a.example');
      expect(platform).toHaveBeenCalledWith('https://a.example', { dispatcher });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
