import { describe, expect, it } from 'vitest';
import { KeyOrder, type Ordered } from './key-order.js';

interface Item extends Ordered<Item> {
  readonly name: string;
}

const item = (name: string): Item => ({ name, older: undefined, newer: undefined });

function names(order: KeyOrder<Item>): string[] {
  const seen: string[] = [];
  for (let at = order.oldest; at !== undefined; at = at.newer) seen.push(at.name);
  return seen;
}

describe('KeyOrder', () => {
  it('keeps insertion order and unlinks any entry in O(1)', () => {
    const order = new KeyOrder<Item>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item) as [Item, Item, Item, Item];
    for (const entry of [a, b, c, d]) order.push(entry);
    expect(names(order)).toEqual(['a', 'b', 'c', 'd']);
    order.remove(b);
    expect(names(order)).toEqual(['a', 'c', 'd']);
    order.remove(a);
    expect(order.oldest).toBe(c);
    order.remove(d);
    expect(names(order)).toEqual(['c']);
    order.push(a);
    expect(names(order)).toEqual(['c', 'a']);
    order.remove(c);
    order.remove(a);
    expect(order.oldest).toBeUndefined();
    order.push(b);
    expect(names(order)).toEqual(['b']);
    order.clear();
    expect(order.oldest).toBeUndefined();
  });

  it('finds the oldest of 100,000 after deleting from the front, without walking deleted entries', () => {
    const order = new KeyOrder<Item>();
    const items = Array.from({ length: 100_000 }, (_, n) => item(`k${n}`));
    for (const entry of items) order.push(entry);
    let outOfOrder = 0;
    for (let n = 0; n < 99_000; n++) {
      const oldest = order.oldest;
      if (oldest !== items[n]) outOfOrder += 1;
      if (oldest) order.remove(oldest);
    }
    expect(outOfOrder).toBe(0);
    expect(order.oldest).toBe(items[99_000]);
  });
});
