// The README conventions test/readme/check.ts relies on: which blocks are
// examples, what a prelude gives a block, and how errors point back at the README.
import { describe, expect, it } from 'vitest';
import { blockModule, parseReadme } from './blocks.ts';

const fence = '```';

describe('parseReadme', () => {
  it('takes ts and typescript blocks, with the line of their first line of code', () => {
    const { blocks, problems } = parseReadme(
      [
        '# pkg',
        `${fence}sh`,
        'npm install pkg',
        fence,
        `${fence}ts`,
        'const a = 1;',
        fence,
        '- a list item:',
        '',
        `  ${fence}typescript`,
        '  const b = 2;',
        '    const c = 3;',
        `  ${fence}`,
        `${fence}json`,
        '{}',
        fence,
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(blocks.map(({ index, line, code }) => ({ index, line, code }))).toEqual([
      { index: 1, line: 6, code: 'const a = 1;' },
      { index: 2, line: 11, code: 'const b = 2;\n  const c = 3;' },
    ]);
  });

  it('skips a block only with a reason, and says when a skip is misplaced', () => {
    const { blocks, problems } = parseReadme(
      [
        '<!-- forge:skip a signature listing, not code -->',
        '',
        `${fence}ts`,
        'new TokenManager(provider: TokenProvider)',
        fence,
        '<!-- forge:skip -->',
        `${fence}ts`,
        'const checked = true;',
        fence,
        '<!-- forge:skip stray -->',
        'some prose',
        '<!-- forge:skpi typo -->',
      ].join('\n'),
    );
    expect(blocks.map((block) => block.skip)).toEqual(['a signature listing, not code', undefined]);
    expect(problems).toEqual([
      { line: 6, message: expect.stringContaining('forge:skip needs a reason') },
      { line: 10, message: expect.stringContaining('right before the ```ts block') },
      { line: 12, message: expect.stringContaining('unknown directive forge:skpi') },
    ]);
  });

  it('gives each block the preludes above it', () => {
    const { blocks } = parseReadme(
      [
        `${fence}ts`,
        'first;',
        fence,
        '<!-- forge:prelude what the examples use',
        'declare const manager: object;',
        '-->',
        `${fence}ts`,
        'manager;',
        fence,
      ].join('\n'),
    );
    expect(blocks[0]?.preludes).toEqual([]);
    expect(blocks[1]?.preludes).toEqual([{ line: 5, code: 'declare const manager: object;\n' }]);
  });
});

describe('blockModule', () => {
  const readme = [
    '<!-- forge:prelude names the examples share',
    "import { TokenManager, bearer, type Authorizer } from '@forge/core';",
    'declare const manager: TokenManager;',
    'declare const authorizer: Authorizer;',
    '-->',
    `${fence}ts`,
    "import { TokenManager } from '@forge/core';",
    'const manager = new TokenManager(provider);',
    'bearer(manager);',
    fence,
  ].join('\n');

  it('keeps the prelude statements that declare nothing the block declares', () => {
    const [block] = parseReadme(readme).blocks;
    if (!block) throw new Error('no block');
    const module = blockModule(block);
    expect(module.text).toBe(
      [
        "import { bearer, type Authorizer } from '@forge/core';",
        'declare const authorizer: Authorizer;',
        "import { TokenManager } from '@forge/core';",
        'const manager = new TokenManager(provider);',
        'bearer(manager);',
        '',
      ].join('\n'),
    );
    expect(module.preludeLineCount).toBe(2);
  });

  it('maps every line of the module back to its README line', () => {
    const [block] = parseReadme(readme).blocks;
    if (!block) throw new Error('no block');
    expect(blockModule(block).readmeLines).toEqual([2, 4, 7, 8, 9]);
  });
});
