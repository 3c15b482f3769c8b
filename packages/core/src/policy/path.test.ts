import { describe, expect, it } from 'vitest';
import { pathReadings, removeDotSegments } from './path.js';
import { createRequestPolicy } from './request-policy.js';

describe('removeDotSegments', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/a/./b', '/a/b'],
    ['/../../etc', '/etc'],
    ['/a/..', '/'],
    ['/a/b/.', '/a/b/'],
    ['/', '/'],
  ])('%s -> %s', (input, output) => {
    expect(removeDotSegments(input)).toBe(output);
  });
});

describe('pathReadings', () => {
  it('decodes unreserved characters only, and upper-cases the escapes it keeps', () => {
    expect(pathReadings('/%70ublic/%7e/a%2db%2fc%3f')).toEqual([
      '/public/~/a-b%2Fc%3F',
      '/public/~/a-b/c%3F',
    ]);
  });

  it('reads a path without its trailing slash and without `;` parameters too', () => {
    expect(pathReadings('/health/')).toEqual(['/health/', '/health']);
    expect(pathReadings('/public;jsessionid=1/x')).toEqual(['/public;jsessionid=1/x', '/public/x']);
    expect(pathReadings('/')).toEqual(['/']);
  });

  it('resolves dot segments that decoding reveals, and reads encoded separators loosely', () => {
    expect(pathReadings('/x/%2e%2e/public')).toEqual(['/public']);
    expect(pathReadings('/api%2F..%2Fpublic')).toEqual(['/api%2F..%2Fpublic', '/public']);
    expect(pathReadings('/api%5c..%5cpublic')).toEqual(['/api%5C..%5Cpublic', '/public']);
    expect(pathReadings('//public///info')).toEqual(['//public///info', '/public/info']);
  });
});

describe('request policy exclusions on the normalized path', () => {
  const policy = createRequestPolicy({
    baseURL: 'https://api.example',
    excludedPaths: ['/public/info'],
    excludedPathPatterns: ['/static/**'],
  });

  it.each([
    'https://api.example/%70ublic/info',
    'https://api.example/PUBLIC/Info',
    'https://api.example/x/../public/info',
    'https://api.example/x/%2e%2e/public/info',
    'https://api.example/x%2F..%2Fpublic/info',
    'https://api.example/x%5C..%5Cpublic%5Cinfo',
    'https://api.example//public//info',
    'https://api.example/%73tatic/app.js',
    'https://api.example/STATIC/a/b',
    'https://api.example/public/info/',
    'https://api.example/public/info/.',
    'https://api.example/public/info%2f',
    'https://api.example/public/info\\',
    'https://api.example/public/info/x/..',
    'https://api.example/public;x/info',
    'https://api.example/x/..;/public/info',
  ])('excludes %s', (url) => {
    expect(policy.allows(url)).toBe(false);
  });

  it.each([
    'https://api.example/public/info2',
    'https://api.example/publicinfo',
    'https://api.example/orders',
  ])('still allows %s', (url) => {
    expect(policy.allows(url)).toBe(true);
  });

  it('judges a same-origin redirect to an excluded path by the same rules', () => {
    expect(
      policy.mayRedirect('https://api.example/orders', 'https://api.example/%70ublic/info'),
    ).toBe(false);
  });
});
