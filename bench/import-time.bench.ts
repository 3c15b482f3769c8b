// How long `import '@forge/core'` takes in a fresh process, from the built
// package (what users load), ESM and CommonJS, beside an empty module loaded
// the same way in the same run. Prints figures and asserts nothing; needs
// `npx -y pnpm@10 build` first (turbo runs it before `bench`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = 15;
const require = createRequire(import.meta.url);
const coreCjs = require.resolve('@forge/core');
const coreEsm = coreCjs.replace(/index\.cjs$/, 'index.js');
const scratch = mkdtempSync(join(tmpdir(), 'forge-import-'));
const emptyEsm = join(scratch, 'empty.mjs');
const emptyCjs = join(scratch, 'empty.cjs');
writeFileSync(emptyEsm, 'export {};\n');
writeFileSync(emptyCjs, 'module.exports = {};\n');

// One fresh process per run: the first import is what a service pays at start.
function timeImport(path: string, kind: 'esm' | 'cjs'): number {
  const load =
    kind === 'esm'
      ? `const t = performance.now(); import(${JSON.stringify(path)}).then(() => process.stdout.write(String(performance.now() - t)));`
      : `const t = performance.now(); require(${JSON.stringify(path)}); process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['-e', load], { encoding: 'utf8' }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const rows: [string, number[]][] = [
  ['empty module (ESM)', []],
  ['@forge/core (ESM)', []],
  ['empty module (CJS)', []],
  ['@forge/core (CJS)', []],
];
for (let run = 0; run < RUNS; run++) {
  rows[0]?.[1].push(timeImport(emptyEsm, 'esm'));
  rows[1]?.[1].push(timeImport(coreEsm, 'esm'));
  rows[2]?.[1].push(timeImport(emptyCjs, 'cjs'));
  rows[3]?.[1].push(timeImport(coreCjs, 'cjs'));
}
console.log(
  `\nimport time, fresh process each, median of ${RUNS} (target: @forge/core under 10 ms)`,
);
console.log('| module | median ms | min-max ms | over the empty module, ms |');
console.log('| --- | --- | --- | --- |');
rows.forEach(([name, times], index) => {
  const empty = rows[index - (index % 2)]?.[1] ?? times;
  console.log(
    `| ${name} | ${median(times).toFixed(1)} | ${Math.min(...times).toFixed(1)}-${Math.max(...times).toFixed(1)} | ${(median(times) - median(empty)).toFixed(1)} |`,
  );
});
