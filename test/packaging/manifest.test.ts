// What a stranger installing a published package relies on, read from its
// package.json: a licence, the Node versions it runs on, only the build in the
// tarball, exports that point into that build, public access, and @forge peer
// ranges that `pnpm publish` turns into `^<released version>`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  description?: string;
  engines?: Record<string, string>;
  files?: string[];
  exports?: Record<string, unknown>;
  publishConfig?: { access?: string; exports?: Record<string, unknown> };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const root = join(import.meta.dirname, '..', '..');
const read = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8'));
const rootManifest = read(join(root, 'package.json'));
const published = readdirSync(join(root, 'packages'))
  .map((folder) => ({ folder, manifest: read(join(root, 'packages', folder, 'package.json')) }))
  .filter(({ manifest }) => manifest.private !== true);

// The oldest Node the packages support, as the root README and test/compat say.
const NODE_RANGE = '^20.19.0 || >=22.12.0';

/** The exports map without the workspace-only `@forge/source` condition. */
function withoutSource(exports: unknown): unknown {
  if (typeof exports !== 'object' || exports === null) return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([condition]) => condition !== '@forge/source')
      .map(([key, value]) => [key, withoutSource(value)]),
  );
}

function targets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.values(exports).flatMap(targets);
}

describe.each(published)('packages/$folder/package.json', ({ folder, manifest }) => {
  it('is named after its folder and says what it does', () => {
    expect(manifest.name).toBe(`@forge/${folder}`);
    expect(manifest.description?.length ?? 0).toBeGreaterThan(20);
  });

  it('declares the MIT licence and the supported Node versions', () => {
    expect(manifest.license).toBe('MIT');
    expect(manifest.engines).toEqual({ node: NODE_RANGE });
  });

  it('publishes only its build, publicly', () => {
    expect(manifest.files).toEqual(['dist']);
    expect(manifest.publishConfig?.access).toBe('public');
  });

  it('publishes the exports map minus @forge/source, every target inside dist', () => {
    expect(manifest.publishConfig?.exports).toEqual(withoutSource(manifest.exports));
    for (const target of targets(manifest.publishConfig?.exports)) {
      expect(target).toMatch(/^\.\/(dist\/|package\.json$)/);
    }
  });

  it('takes other @forge packages as peers with workspace:^ (published as ^version)', () => {
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
      if (name.startsWith('@forge/')) expect(range, name).toBe('workspace:^');
    }
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (name.startsWith('@forge/')) expect(range, name).toBe('workspace:^');
    }
  });

  it('is a dependency of the workspace root, so turbo builds it before the root suites', () => {
    expect(rootManifest.devDependencies?.[manifest.name]).toBe('workspace:*');
  });

  it.todo('has repository, homepage and bugs (pending a public URL for the project)');
});
