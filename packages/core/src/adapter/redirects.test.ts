import { describe, expect, it } from 'vitest';
import type { Authorizer } from '../authorizer.js';
import { createRequestPolicy } from '../policy/request-policy.js';
import { redirectChain } from './redirects.js';

const policy = createRequestPolicy({
  origins: ['https://api.example', 'http://plain.example'],
  excludedPathPatterns: ['/public/**'],
});
const bearerLike: Authorizer = {
  authorize: () => undefined,
  mayRedirect: policy.mayRedirect,
};
// An authorizer that lets credentials go anywhere: the chain's own rules still hold.
const permissive: Authorizer = { authorize: () => undefined, mayRedirect: () => true };

describe('redirectChain', () => {
  it('keeps credentials on same-origin hops to allowed paths', () => {
    const chain = redirectChain(bearerLike);
    expect(chain.permits('https://api.example/a', 'https://api.example/b')).toBe(true);
    expect(chain.permits('https://api.example/b', 'https://api.example/c')).toBe(true);
    expect(chain.broken).toBe(false);
  });

  it('never gives credentials back after a hop to another origin, even back to the API', () => {
    const chain = redirectChain(bearerLike);
    expect(chain.permits('https://api.example/a', 'https://evil.example/x')).toBe(false);
    expect(chain.permits('https://evil.example/x', 'https://api.example/admin')).toBe(false);
    expect(chain.broken).toBe(true);
  });

  it('never gives credentials back after a hop to an excluded path', () => {
    const chain = redirectChain(bearerLike);
    expect(chain.permits('https://api.example/a', 'https://api.example/public/x')).toBe(false);
    expect(chain.permits('https://api.example/public/x', 'https://api.example/b')).toBe(false);
  });

  it('refuses a downgrade from https to http whatever the authorizer says', () => {
    const chain = redirectChain(permissive);
    expect(chain.permits('https://api.example/a', 'http://plain.example/b')).toBe(false);
    expect(chain.permits('http://plain.example/b', 'https://api.example/c')).toBe(false);
  });
});
