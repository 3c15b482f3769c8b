import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsdown';

// @forge/core and @forge/fetch run on any runtime with fetch and Web Crypto;
// every other package is for Node (node: built-ins, Node frameworks and clients).
const { name } = JSON.parse(readFileSync(`${process.cwd()}/package.json`, 'utf8')) as {
  name: string;
};

// Subpaths beyond the main entry: what adapter authors and third-party test
// suites import, kept apart from what users call.
const SUBPATHS: Readonly<Record<string, readonly string[]>> = {
  '@forge/core': ['src/adapter.ts', 'src/storage.ts'],
  '@forge/testkit': ['src/conformance.ts'],
};

// One build for every package: run from a package folder as
// `tsdown --config ../../tsdown.config.ts`. The exports map is generated here
// so it can never drift from the build; `@forge/source` points tests and
// typecheck at the sources, so nothing needs a build first.
export default defineConfig({
  cwd: process.cwd(),
  entry: ['src/index.ts', ...(SUBPATHS[name] ?? [])],
  format: ['esm', 'cjs'],
  platform: name === '@forge/core' || name === '@forge/fetch' ? 'neutral' : 'node',
  target: 'node20',
  dts: true,
  sourcemap: false,
  // TSDoc lives in the .d.ts files, where editors read it; in the JS it would
  // only be parsed on every import (a third of @forge/core's bundle).
  outputOptions: (options, _format, { cjsDts }) =>
    cjsDts ? options : { ...options, comments: { legal: true, annotation: true, jsdoc: false } },
  clean: true,
  exports: { devExports: '@forge/source' },
  publint: { level: 'error', strict: true },
  attw: { profile: 'node16', level: 'error' },
});
