import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source (the `@forge/source` export
// condition), so `vitest run` needs no build step first.
export default defineConfig({
  resolve: { conditions: ['@forge/source'] },
  ssr: { resolve: { conditions: ['@forge/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/**/*.test.ts',
      'test/**/*.test.ts',
      'compat/*/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Workspace packages injected as copies (compat/*: `dependenciesMeta`
    // `injected`) go through Vite, as the sources do: Node would resolve their
    // `@forge/*` imports to TypeScript sources it cannot run.
    server: { deps: { inline: [/\/node_modules\/\.pnpm\/@forge\+[^/]+@file\+/] } },
  },
});
