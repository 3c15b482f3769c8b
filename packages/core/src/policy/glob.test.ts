import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { compilePathGlob } from './glob.js';

describe('compilePathGlob', () => {
  it.each([
    ['/public/*', '/public/logo.png', true],
    ['/public/*', '/public/', true],
    ['/public/*', '/public/a/b', false],
    ['/public/*', '/publicity', false],
    ['*/health', '/health', true],
    ['*/health', '/internal/svc/health', true],
    ['*/health', '/myhealth', false],
    ['*/health', '/health/x', false],
    ['/api/v*/status', '/api/v1/status', true],
    ['/api/v*/status', '/api/v12/status', true],
    ['/api/v*/status', '/api/v1/x/status', false],
    ['/api/v*/status', '/api/x1/status', false],
    ['/public/**', '/public/a/b/c.css', true],
    ['/public/**', '/private/a', false],
    ['/a.b', '/a.b', true],
    ['/a.b', '/axb', false],
    ['/a+(b)|$', '/a+(b)|$', true],
    ['/Case', '/case', false],
    ['health', '/x/health', true],
  ])('%s on %s is %s', (pattern, path, expected) => {
    expect(compilePathGlob(pattern).test(path)).toBe(expected);
  });

  it.each(['', '/a?b', '/a#b', '/a[bc]', '/{a,b}', '/a b', '/a\\b', '/a**', '/***/x'])(
    'rejects malformed %j with a ConfigurationError naming the option',
    (pattern) => {
      const error = (() => {
        try {
          compilePathGlob(pattern, 'excludedPathPatterns[2]');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).option).toBe('excludedPathPatterns[2]');
    },
  );

  it('rejects non-strings', () => {
    expect(() => compilePathGlob(42)).toThrow(ConfigurationError);
  });

  it('never crashes on arbitrary input and compiled globs never throw on arbitrary paths', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (pattern, path) => {
        let regexp: RegExp | undefined;
        try {
          regexp = compilePathGlob(pattern);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError);
        }
        if (regexp) expect(typeof regexp.test(path)).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });

  it('a glob without wildcards matches exactly its literal path', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), segment, (parts, other) => {
        const path = `/${parts.join('/')}`;
        const glob = compilePathGlob(path);
        expect(glob.test(path)).toBe(true);
        expect(glob.test(`${path}/${other}`)).toBe(false);
      }),
    );
  });

  it('* never crosses a segment boundary', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    fc.assert(
      fc.property(segment, segment, segment, (a, b, c) => {
        const glob = compilePathGlob(`/${a}/*`);
        expect(glob.test(`/${a}/${b}`)).toBe(true);
        expect(glob.test(`/${a}/${b}/${c}`)).toBe(false);
      }),
    );
  });
});
