import { describe, expect, it } from 'vitest';
import { normalizeTarget, originForm, upstreamURL } from '../src/proxy-path.js';

describe('normalizeTarget', () => {
  it.each([
    ['/a/b', '/a/b'],
    ['/', '/'],
    ['/a/./b/../c', '/a/c'],
    ['/a/b/..', '/a/'],
    ['/a//b///c/', '/a/b/c/'],
    ['/%70ublic/%7Euser', '/public/~user'],
    ['/a%3ab%3Fc', '/a%3Ab%3Fc'],
    ['/a b', '/a%20b'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/a?', '/a'],
    ['/a?x=%2f&y=../z', '/a?x=%2f&y=../z'],
    ['/a?q=\'"<>', '/a?q=%27%22%3C%3E'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeTarget(input)).toBe(expected);
  });

  it.each([
    '/..',
    '/a/../..',
    '/..;/admin',
    '/a/..;x/b',
    '/.;/a',
    '/%2e%2e;/admin',
    '/%2e%2e',
    '/.%2E/x',
    '/a%2fb',
    '/a%5Cb',
    '/a\\b',
    '/a%00b',
    '/a%0ab',
    '/a\u0000b',
    '/a%',
    '/a%g0',
    '/a?b=%',
    '/a?b=\u0001',
    '/a#b',
    'a/b',
    '*',
    '/\ud800',
  ])('refuses %j', (input) => {
    expect(normalizeTarget(input)).toBeUndefined();
  });
});

describe('originForm', () => {
  it('keeps only the path and query of an absolute-form target', () => {
    expect(originForm('http://evil.example/a?b')).toBe('/a?b');
    expect(originForm('http://evil.example')).toBe('/');
    expect(originForm('http://evil.example?x')).toBe('/?x');
    expect(originForm('/plain')).toBe('/plain');
  });
});

describe('what is judged is what is sent', () => {
  // Tokens that servers, proxies and URL parsers disagree about.
  const TOKENS = [
    '/',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2f',
    '%2F',
    '%5c',
    '\\',
    '%',
    '%00',
    '%25',
    '%252e',
    'a',
    '%70',
    '?',
    '#',
    '//',
    ';',
    ':',
    '@',
    '|',
    '{',
    "'",
    '"',
    ' ',
    '\u00e9',
    '=',
    '&',
    '~',
  ];

  function* targets(count: number): Generator<string> {
    let seed = 0x2f6e2b1;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed;
    };
    for (let index = 0; index < count; index++) {
      let target = '/';
      const length = 1 + (random() % 10);
      for (let part = 0; part < length; part++) target += TOKENS[random() % TOKENS.length];
      yield target;
    }
  }

  it('every normalized target stays under the prefix, is stable, and is the URL the WHATWG parser reads', () => {
    const base = { origin: 'https://api.example', prefix: '/v1' };
    let accepted = 0;
    for (const target of targets(20_000)) {
      const normalized = normalizeTarget(target);
      if (normalized === undefined) continue;
      accepted++;
      expect(normalizeTarget(normalized), target).toBe(normalized);
      const url = upstreamURL(base, normalized);
      expect(url, target).toBeDefined();
      expect(`${url!.pathname}${url!.search}`, target).toBe(`/v1${normalized}`);
      expect(url!.pathname.startsWith('/v1/'), target).toBe(true);
      expect(new URL(url!.href).href, target).toBe(url!.href);
    }
    expect(accepted).toBeGreaterThan(1_000);
  });
});
