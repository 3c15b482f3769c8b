import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './events.js';

interface Events {
  ping: { n: number };
}

describe('Emitter', () => {
  it('delivers to listeners until they unsubscribe', () => {
    const emitter = new Emitter<Events>();
    const listener = vi.fn();
    const off = emitter.on('ping', listener);
    expect(emitter.has('ping')).toBe(true);
    emitter.emit('ping', { n: 1 });
    off();
    off();
    emitter.emit('ping', { n: 2 });
    expect(listener.mock.calls).toEqual([[{ n: 1 }]]);
    expect(emitter.has('ping')).toBe(false);
  });

  it('keeps each registration distinct and survives a throwing listener', () => {
    const emitter = new Emitter<Events>();
    const listener = vi.fn();
    emitter.on('ping', () => {
      throw new Error('listener bug');
    });
    const off = emitter.on('ping', listener);
    emitter.on('ping', listener);
    off();
    expect(() => emitter.emit('ping', { n: 1 })).not.toThrow();
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
