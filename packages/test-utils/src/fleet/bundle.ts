import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsdown';

/** A bundled fleet child, runnable by plain `node`. */
export interface FleetBundle {
  readonly file: string;
  remove(): Promise<void>;
}

function packageRoot(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'package.json'))) return current;
    if (dirname(current) === current) return dir;
  }
}

/**
 * Bundles a fleet child (`entry`, a file URL or path) with the workspace
 * sources (through the `@forge/source` condition) and its client library
 * into one ESM file; `external` packages (such as `pg`, whose CommonJS does
 * not survive bundling) stay imports. Compiling TypeScript in each of eight children would
 * cost seconds of CPU apiece; one bundle costs ~0.3 s.
 *
 * @example
 * ```ts
 * const bundle = await bundleFleetChild(new URL('./fleet/child.ts', import.meta.url));
 * ```
 */
export async function bundleFleetChild(
  entry: URL | string,
  options: { readonly external?: readonly string[] } = {},
): Promise<FleetBundle> {
  const file = typeof entry === 'string' ? entry : fileURLToPath(entry);
  const external = options.external ?? [];
  // With externals, the bundle sits in the package's node_modules/.cache so
  // Node resolves them from there; otherwise anywhere.
  if (external.length > 0) {
    await mkdir(join(packageRoot(dirname(file)), 'node_modules', '.cache'), { recursive: true });
  }
  const outDir = await mkdtemp(
    external.length > 0
      ? join(packageRoot(dirname(file)), 'node_modules', '.cache', 'forge-fleet-')
      : join(tmpdir(), 'forge-fleet-'),
  );
  await build({
    config: false,
    cwd: dirname(file),
    entry: { child: file },
    outDir,
    format: ['esm'],
    platform: 'node',
    dts: false,
    clean: false,
    logLevel: 'error',
    deps:
      external.length > 0
        ? { neverBundle: [...external], alwaysBundle: (id: string) => !external.includes(id) }
        : { alwaysBundle: [/.*/] },
    inputOptions: { resolve: { conditionNames: ['@forge/source', 'import', 'node', 'default'] } },
  });
  return {
    file: join(outDir, 'child.mjs'),
    remove: () => rm(outDir, { recursive: true, force: true }),
  };
}
