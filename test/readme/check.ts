// Type-checks every TypeScript example in the READMEs (README.md,
// packages/*/README.md, apps/*/README.md) against the workspace's sources, with
// the workspace's strict compiler options: an example that no longer compiles
// fails the test command. Conventions: ./blocks.ts.
//
//   node test/readme/check.ts                            every README
//   node test/readme/check.ts packages/core/README.md    only these
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { blockModule, type CodeBlock, parseReadme } from './blocks.ts';

const root = resolve(import.meta.dirname, '..', '..');

function allReadmes(): string[] {
  const nested = ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(parent, entry.name, 'README.md')),
  );
  return ['README.md', ...nested.sort()].filter((file) => existsSync(join(root, file)));
}

const readmes = process.argv.length > 2 ? process.argv.slice(2) : allReadmes();

// The workspace's options (strict, noUncheckedIndexedAccess, verbatimModuleSyntax,
// NodeNext, the `@forge/source` condition), plus what an example needs: Node's
// types, Nest's decorators, and every block a module even without an import.
const base = ts.getParsedCommandLineOfConfigFile(
  join(root, 'tsconfig.base.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  },
);
if (!base) throw new Error('cannot read tsconfig.base.json');
const options: ts.CompilerOptions = {
  ...base.options,
  types: ['node'],
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  moduleDetection: ts.ModuleDetectionKind.Force,
  declaration: false,
  noEmit: true,
};

interface Example {
  readonly readme: string;
  readonly block: CodeBlock;
  readonly fileName: string;
  readonly module: ReturnType<typeof blockModule>;
}

const examples: Example[] = [];
const skipped: { readme: string; block: CodeBlock }[] = [];
const failures = new Map<string, string[]>();
const fail = (readme: string, message: string): void => {
  failures.set(readme, [...(failures.get(readme) ?? []), message]);
};

for (const readme of readmes) {
  const path = resolve(root, readme);
  const { blocks, problems } = parseReadme(readFileSync(path, 'utf8'));
  for (const problem of problems) fail(readme, `${readme}:${problem.line}  ${problem.message}`);
  for (const block of blocks) {
    if (block.skip !== undefined) {
      skipped.push({ readme, block });
      continue;
    }
    // Beside the README, so an example resolves the packages that README's package has.
    const fileName = join(dirname(path), `README.md.${block.index}.ts`);
    examples.push({ readme, block, fileName, module: blockModule(block) });
  }
}

const virtual = new Map(examples.map((example) => [example.fileName, example]));
const host = ts.createCompilerHost(options, true);
const { getSourceFile, fileExists, readFile } = host;
host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  const example = virtual.get(fileName);
  return example
    ? ts.createSourceFile(fileName, example.module.text, languageVersion, true)
    : getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
};
host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
host.readFile = (fileName) => virtual.get(fileName)?.module.text ?? readFile.call(host, fileName);

// A package's README may show a client its package does not depend on (core's
// README uses axios): what the README's folder cannot resolve, the root can.
const cache = ts.createModuleResolutionCache(root, host.getCanonicalFileName, options);
const rootImporter = join(root, 'README.md.ts');
host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, file) =>
  literals.map((literal) => {
    const mode = ts.getModeForUsageLocation(file, literal, compilerOptions);
    const resolve = (from: string) =>
      ts.resolveModuleName(literal.text, from, compilerOptions, host, cache, redirected, mode);
    const near = resolve(containingFile);
    return near.resolvedModule || !virtual.has(containingFile) ? near : resolve(rootImporter);
  });

const started = performance.now();
const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
for (const diagnostic of global) {
  fail('(compiler)', ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

const failedBlocks = new Map<string, Set<number>>();
for (const example of examples) {
  const file = program.getSourceFile(example.fileName);
  if (!file) throw new Error(`${example.fileName} is not in the program`);
  // Type errors in code that does not parse are noise: report the syntax first.
  const syntax = program.getSyntacticDiagnostics(file);
  const diagnostics = syntax.length > 0 ? syntax : program.getSemanticDiagnostics(file);
  for (const diagnostic of diagnostics) {
    failedBlocks.set(
      example.readme,
      (failedBlocks.get(example.readme) ?? new Set()).add(example.block.index),
    );
    fail(example.readme, describe(example, diagnostic));
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function describe(example: Example, diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
  const where = `block ${example.block.index}`;
  if (diagnostic.start === undefined || !diagnostic.file) {
    return `${example.readme} ${where}  TS${diagnostic.code}: ${message}`;
  }
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const readmeLine = example.module.readmeLines[line] ?? example.block.line;
  const fromPrelude = line < example.module.preludeLineCount ? ' (in a forge:prelude)' : '';
  const source = example.module.text.split('\n')[line] ?? '';
  return [
    `${example.readme}:${readmeLine}:${character + 1} ${where}${fromPrelude}  TS${diagnostic.code}: ${message}`,
    `    ${source}`,
    `    ${' '.repeat(character)}^`,
  ].join('\n');
}

for (const readme of readmes) {
  const checked = examples.filter((example) => example.readme === readme).length;
  const skips = skipped.filter((entry) => entry.readme === readme);
  const failed = failedBlocks.get(readme)?.size ?? 0;
  const mark = failures.has(readme) ? '✗' : '✓';
  const parts = [`${checked - failed}/${checked} blocks type-check`];
  if (skips.length > 0) parts.push(`${skips.length} skipped`);
  console.log(`${mark} ${readme}: ${parts.join(', ')}`);
  for (const { block } of skips) console.log(`    skipped ${readme}:${block.line}: ${block.skip}`);
}
for (const [readme, messages] of failures) {
  console.error(`\n${readme}\n${messages.map((message) => `  ${message}`).join('\n')}`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `\nreadme: ${plural(examples.length, 'example')} from ${plural(readmes.length, 'README')} type-checked in ${seconds} s` +
    (failures.size > 0 ? `; failures in ${[...failures.keys()].join(', ')}` : ''),
);
if (failures.size > 0) process.exitCode = 1;
