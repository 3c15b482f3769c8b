import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source (the `@forge/source` export
// condition), so `vitest run` needs no build step first.
export default defineConfig({
  resolve: { conditions: ['@forge/source'] },
  ssr: { resolve: { conditions: ['@forge/source'] } },
  test: {
    // Two projects, run as separate stages of `pnpm test` (`vitest run --project unit`).
    // Plain `vitest run` runs both.
    projects: [
      {
        // Tests beside the code they test, and checks of the repository's own files.
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'test/packaging/**/*.test.ts',
            'test/readme/**/*.test.ts',
          ],
        },
      },
      {
        // Real servers, real frameworks, real Redis; compat/* loads built packages.
        test: {
          name: 'integration',
          include: [
            'packages/*/test/**/*.test.ts',
            'apps/*/**/*.test.ts',
            'test/**/*.test.ts',
            'compat/*/**/*.test.ts',
          ],
          exclude: ['test/packaging/**', 'test/readme/**'],
        },
      },
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
