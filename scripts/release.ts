// Releases the public packages (see "Releasing" in the root README).
//
//   pnpm release            changeset version, a release commit, pnpm test,
//                           pnpm publish -r, one git tag per published version
//   pnpm release --dry-run  the same on a scratch worktree of HEAD, installed and
//                           built as a fresh clone, up to pnpm publish -r --dry-run;
//                           neither the repository nor the registry changes
//
// `pnpm publish` turns each `workspace:^` range into `^<version being
// published>`, so the adapters' peer range on @forge/core always names the
// core released with them; the dry run checks exactly that on the packed
// manifests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

function show(command: string, args: readonly string[], cwd: string): void {
  console.log(`\n$ ${[command, ...args].join(' ')}${cwd === root ? '' : `   (in ${cwd})`}`);
}

/** Runs a command with its output on the terminal. */
function step(command: string, args: readonly string[], cwd = root): void {
  show(command, args, cwd);
  execFileSync(command, args, { cwd, stdio: 'inherit' });
}

/** Runs a command and returns what it printed. */
function read(command: string, args: readonly string[], cwd = root): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Stops the release; thrown, so the dry run's scratch worktree is still removed. */
function fail(message: string): never {
  throw new Error(message);
}

function publicPackages(workspace: string): { dir: string; manifest: Manifest }[] {
  return readdirSync(join(workspace, 'packages'))
    .map((folder) => join(workspace, 'packages', folder))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

/** changeset writes CHANGELOG.md files; biome formats Markdown, so `biome ci` stays green. */
function versionPackages(workspace: string): void {
  step('changeset', ['version'], workspace);
  const changelogs = publicPackages(workspace)
    .map(({ dir }) => join(dir, 'CHANGELOG.md'))
    .filter((file) => existsSync(file));
  if (changelogs.length > 0) step('biome', ['format', '--write', ...changelogs], workspace);
}

/** Packs every public package and checks each @forge range names the version released beside it. */
function checkPackedRanges(workspace: string, destination: string): void {
  const versions = new Map(
    publicPackages(workspace).map(({ manifest }) => [manifest.name, manifest.version]),
  );
  const problems: string[] = [];
  console.log('\nPacked manifests (what a stranger installs):');
  for (const { dir, manifest } of publicPackages(workspace)) {
    const before = new Set(readdirSync(destination));
    execFileSync('pnpm', ['pack', '--pack-destination', destination], {
      cwd: dir,
      stdio: 'ignore',
    });
    const tarball = readdirSync(destination).find((file) => !before.has(file));
    if (!tarball) fail(`pnpm pack made no tarball for ${manifest.name}`);
    const packed: Manifest = JSON.parse(
      read('tar', ['-xOzf', join(destination, tarball), 'package/package.json']),
    );
    const forge = Object.entries({ ...packed.dependencies, ...packed.peerDependencies }).filter(
      ([name]) => name.startsWith('@forge/'),
    );
    const ranges = forge.map(([name, range]) => `  ${name} ${range}`).join('');
    console.log(`  ${packed.name}@${packed.version}${ranges}`);
    for (const [name, range] of forge) {
      const expected = `^${versions.get(name)}`;
      if (range !== expected) problems.push(`${packed.name}: ${name} ${range}, not ${expected}`);
    }
  }
  if (problems.length > 0) {
    fail(`ranges that do not follow the release:\n  ${problems.join('\n  ')}`);
  }
}

function dryRun(): void {
  const scratch = mkdtempSync(join(tmpdir(), 'forge-release-'));
  const worktree = join(scratch, 'worktree');
  try {
    step('git', ['worktree', 'add', '--detach', worktree, 'HEAD']);
    step('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], worktree);
    versionPackages(worktree);
    step('git', ['status', '--short'], worktree);
    step('pnpm', ['build'], worktree);
    const packed = join(scratch, 'packed');
    mkdirSync(packed);
    checkPackedRanges(worktree, packed);
    // A detached, just-versioned checkout: the branch and clean-tree checks do not apply.
    step('pnpm', ['publish', '-r', '--dry-run', '--no-git-checks'], worktree);
    console.log('\nrelease --dry-run: done; the repository and the registry are unchanged.');
  } finally {
    if (existsSync(worktree)) step('git', ['worktree', 'remove', '--force', worktree]);
    rmSync(scratch, { recursive: true, force: true });
  }
}

function release(): void {
  if (read('git', ['status', '--porcelain']).trim() !== '') {
    fail('the working tree has changes: release from a clean checkout of main');
  }
  const branch = read('git', ['rev-parse', '--abbrev-ref', 'HEAD']).trim();
  if (branch !== 'main') fail(`on branch ${branch}: release from main`);

  versionPackages(root);
  if (read('git', ['status', '--porcelain']).trim() !== '') {
    const released = publicPackages(root)
      .map(({ manifest }) => `${manifest.name}@${manifest.version}`)
      .join(', ');
    step('git', ['add', '--all']);
    step('git', ['commit', '--quiet', '-m', `Release ${released}`]);
  } else {
    // A publish that failed half-way is resumed this way.
    console.log('\nNo changesets: publishing the versions that are not on the registry yet.');
  }
  // The build and every test on the release commit; then exactly that build is published.
  step('pnpm', ['test']);
  step('pnpm', ['publish', '-r']);
  step('changeset', ['tag']);
  console.log('\nrelease: published. Push the release commit and its tags: git push --follow-tags');
}

try {
  if (process.argv.includes('--dry-run')) dryRun();
  else release();
} catch (error) {
  console.error(`\nrelease: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
