import { describe, expect, it, vi } from 'vitest';
import { Token } from '../token.js';
import type { EnvelopeEntry } from './envelope/envelope.js';
import { LocalCopy } from './local-copy.js';

const token = (accessToken: string) => new Token({ accessToken, expiresAt: Date.now() + 60_000 });

function live(): LocalCopy {
  const copy = new LocalCopy(10);
  copy.up(false);
  return copy;
}

describe('LocalCopy.readThrough', () => {
  it('reads the backend once, then serves the copy', async () => {
    const copy = live();
    const read = vi.fn(
      async (): Promise<EnvelopeEntry> => ({ token: token('a'), expiresAt: undefined }),
    );
    expect((await copy.readThrough('d', read))?.accessToken).toBe('a');
    expect((await copy.readThrough('d', read))?.accessToken).toBe('a');
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('returns undefined and keeps nothing for a missing entry', async () => {
    const copy = live();
    expect(await copy.readThrough('d', async () => undefined)).toBeUndefined();
    expect(copy.lookup('d', Date.now())).toBeUndefined();
  });

  it('does not keep a read that a change notification raced', async () => {
    const copy = live();
    const stale = await copy.readThrough('d', async () => {
      // The change lands while the backend read is in flight.
      copy.onMessage('other-instance d');
      return { token: token('old'), expiresAt: undefined };
    });
    expect(stale?.accessToken).toBe('old');
    expect(copy.lookup('d', Date.now())).toBeUndefined();
  });

  it('goes to the backend every time while notifications are down', async () => {
    const copy = new LocalCopy(10);
    const read = vi.fn(
      async (): Promise<EnvelopeEntry> => ({ token: token('a'), expiresAt: undefined }),
    );
    await copy.readThrough('d', read);
    await copy.readThrough('d', read);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('serves nothing read before notifications went live: a change in between was never heard', async () => {
    const copy = new LocalCopy(10);
    await copy.readThrough('d', async () => ({ token: token('old'), expiresAt: undefined }));
    await copy.readThrough('e', async () => {
      // Notifications go live while this read is in flight.
      copy.up(false);
      return { token: token('e'), expiresAt: undefined };
    });
    expect(copy.lookup('d', Date.now())).toBeUndefined();
    expect(copy.lookup('e', Date.now())).toBeUndefined();
    // From now on reads are kept.
    await copy.readThrough('d', async () => ({ token: token('new'), expiresAt: undefined }));
    expect(copy.lookup('d', Date.now())?.accessToken).toBe('new');
  });

  it('keeps a read no longer than the entry lives', async () => {
    const copy = live();
    await copy.readThrough('d', async () => ({ token: token('a'), expiresAt: Date.now() - 1 }));
    expect(copy.lookup('d', Date.now())).toBeUndefined();
  });
});

describe('LocalCopy.writeThrough and deleteThrough', () => {
  it('drops the copy before writing, announces the change, then keeps the new token', async () => {
    const copy = live();
    copy.remember('d', token('old'), undefined);
    let during: Token | undefined = token('sentinel');
    let announced = '';
    await copy.writeThrough('d', token('new'), undefined, async (message) => {
      during = copy.lookup('d', Date.now());
      announced = message;
    });
    expect(during).toBeUndefined();
    expect(announced).toBe(copy.message('d'));
    expect(copy.lookup('d', Date.now())?.accessToken).toBe('new');
  });

  it('keeps nothing when the write fails', async () => {
    const copy = live();
    copy.remember('d', token('old'), undefined);
    await expect(
      copy.writeThrough('d', token('new'), undefined, async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(copy.lookup('d', Date.now())).toBeUndefined();
  });

  it('a read in flight across a write does not fill the old token', async () => {
    const copy = live();
    let finishRead: (entry: EnvelopeEntry) => void = () => {};
    const reading = copy.readThrough('d', () => new Promise((resolve) => (finishRead = resolve)));
    await copy.deleteThrough('d', async () => {});
    finishRead({ token: token('old'), expiresAt: undefined });
    await reading;
    expect(copy.lookup('d', Date.now())).toBeUndefined();
  });

  it('deleteThrough drops the copy and announces the change', async () => {
    const copy = live();
    copy.remember('d', token('a'), undefined);
    const remove = vi.fn(async (_message: string) => {});
    await copy.deleteThrough('d', remove);
    expect(remove).toHaveBeenCalledWith(copy.message('d'));
    expect(copy.lookup('d', Date.now())).toBeUndefined();
  });
});

describe('LocalCopy.held', () => {
  it('bypasses the copy while held, and releases the backend lock once', async () => {
    const copy = live();
    const unlock = vi.fn(async () => {});
    const lock = copy.held('d', 60_000, unlock);
    copy.remember('d', token('a'), undefined);
    expect(copy.lookup('d', Date.now())).toBeUndefined();
    await lock.release();
    await lock.release();
    expect(unlock).toHaveBeenCalledTimes(1);
    expect(copy.lookup('d', Date.now())?.accessToken).toBe('a');
  });
});
