// Reads the TypeScript examples out of a README and turns each into a module
// that can be type-checked on its own. The conventions (also in the root
// README and docs/decisions/0013-readme-examples.md):
//
// - Every ```ts / ```typescript block is a module of its own.
// - Names a block uses without defining come from the README's preludes:
//   HTML comments `<!-- forge:prelude <what for>` whose following lines, up to
//   `-->`, are TypeScript (imports and `declare const` lines), invisible on the
//   rendered page. A block gets every
//   prelude above it, minus what it defines itself, so an example that imports
//   or declares `manager` keeps its own.
// - `<!-- forge:skip <reason> -->` right before a block leaves it unchecked;
//   the reason is required and the checker prints it.
import ts from 'typescript';

export interface Prelude {
  /** README line (1-based) of the prelude's first line of code. */
  readonly line: number;
  readonly code: string;
}

export interface CodeBlock {
  /** 1-based position among the README's TypeScript blocks. */
  readonly index: number;
  /** README line (1-based) of the block's first line of code. */
  readonly line: number;
  readonly code: string;
  /** Why the block is not checked, when a `forge:skip` precedes it. */
  readonly skip?: string;
  /** The preludes above the block, in README order. */
  readonly preludes: readonly Prelude[];
}

export interface ReadmeProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedReadme {
  readonly blocks: readonly CodeBlock[];
  readonly problems: readonly ReadmeProblem[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const TYPESCRIPT = new Set(['ts', 'typescript']);
const DIRECTIVE = /^\s*<!--\s*forge:([\w-]*)/;

interface Fence {
  readonly indent: number;
  readonly marker: string;
  readonly typescript: boolean;
  readonly line: number;
  readonly lines: string[];
  readonly skip: string | undefined;
}

/** Splits a README into its TypeScript blocks and the preludes above each. */
export function parseReadme(markdown: string): ParsedReadme {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  const problems: ReadmeProblem[] = [];
  const preludes: Prelude[] = [];
  let fence: Fence | undefined;
  let pendingSkip: { line: number; reason: string } | undefined;

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const lineNumber = i + 1;

    if (fence) {
      const closing = text.match(FENCE);
      const closes =
        closing?.[2]?.[0] === fence.marker[0] &&
        (closing?.[2]?.length ?? 0) >= fence.marker.length &&
        closing?.[3] === '' &&
        text.trim() === closing?.[2];
      if (!closes) {
        fence.lines.push(stripIndent(text, fence.indent));
        continue;
      }
      if (fence.typescript) {
        blocks.push({
          index: blocks.length + 1,
          line: fence.line + 1,
          code: fence.lines.join('\n'),
          ...(fence.skip === undefined ? {} : { skip: fence.skip }),
          preludes: [...preludes],
        });
      }
      fence = undefined;
      continue;
    }

    const opening = text.match(FENCE);
    if (opening) {
      const typescript = TYPESCRIPT.has((opening[3] ?? '').toLowerCase());
      if (pendingSkip && !typescript) {
        problems.push({
          line: pendingSkip.line,
          message: 'forge:skip is followed by a block that is not ```ts: remove the comment',
        });
      }
      fence = {
        indent: opening[1]?.length ?? 0,
        marker: opening[2] ?? '```',
        typescript,
        line: lineNumber,
        lines: [],
        skip: typescript ? pendingSkip?.reason : undefined,
      };
      pendingSkip = undefined;
      continue;
    }

    const directive = text.match(DIRECTIVE);
    if (!directive) {
      if (pendingSkip && text.trim() !== '') {
        problems.push({
          line: pendingSkip.line,
          message: 'forge:skip must come right before the ```ts block it skips',
        });
        pendingSkip = undefined;
      }
      continue;
    }

    // A directive: everything up to `-->`, possibly over several lines.
    let end = i;
    while (end < lines.length && !(lines[end] ?? '').includes('-->')) end++;
    if (end === lines.length) {
      problems.push({ line: lineNumber, message: `forge:${directive[1]} is never closed by -->` });
      break;
    }
    const body = lines
      .slice(i, end + 1)
      .join('\n')
      .replace(DIRECTIVE, '')
      .replace(/-->[\s\S]*$/, '');
    const name = directive[1];
    if (name === 'skip') {
      const reason = body.trim();
      if (reason === '') {
        problems.push({
          line: lineNumber,
          message:
            'forge:skip needs a reason: <!-- forge:skip why this block cannot be checked -->',
        });
      } else {
        pendingSkip = { line: lineNumber, reason };
      }
    } else if (name === 'prelude') {
      // The rest of the directive's line is free text (say what the prelude is for);
      // the code starts on the next line.
      if (!body.includes('\n')) {
        problems.push({
          line: lineNumber,
          message: 'forge:prelude holds its code on the lines after <!-- forge:prelude',
        });
      } else {
        preludes.push({ line: lineNumber + 1, code: body.slice(body.indexOf('\n') + 1) });
      }
    } else {
      problems.push({
        line: lineNumber,
        message: `unknown directive forge:${name} (known: forge:prelude, forge:skip)`,
      });
    }
    i = end;
  }

  if (fence) {
    problems.push({ line: fence.line, message: 'code block is never closed' });
  }
  if (pendingSkip) {
    problems.push({ line: pendingSkip.line, message: 'forge:skip is not followed by a block' });
  }
  return { blocks, problems };
}

function stripIndent(text: string, indent: number): string {
  let strip = 0;
  while (strip < indent && text[strip] === ' ') strip++;
  return text.slice(strip);
}

export interface BlockModule {
  /** The module's source: the kept prelude statements, then the block. */
  readonly text: string;
  /** README line of each line of `text` (index 0 is the module's line 1). */
  readonly readmeLines: readonly number[];
  /** How many leading lines of `text` come from preludes. */
  readonly preludeLineCount: number;
}

/**
 * The module for one block: the prelude statements that declare nothing the
 * block declares itself, then the block's code, with a map from each line
 * back to the README.
 */
export function blockModule(block: CodeBlock): BlockModule {
  const own = declaredNames(parse(block.code).statements);
  const printer = ts.createPrinter({ removeComments: false });
  const text: string[] = [];
  const readmeLines: number[] = [];

  for (const prelude of block.preludes) {
    const source = parse(prelude.code);
    for (const statement of source.statements) {
      const kept = withoutNames(statement, own);
      if (kept === undefined) continue;
      const start = source.getLineAndCharacterOfPosition(statement.getStart(source)).line;
      const lines =
        kept === statement
          ? source.text.slice(statement.getStart(source), statement.end).split('\n')
          : [printer.printNode(ts.EmitHint.Unspecified, kept, source)];
      lines.forEach((line, offset) => {
        text.push(line);
        readmeLines.push(prelude.line + start + (kept === statement ? offset : 0));
      });
    }
  }
  const preludeLineCount = text.length;
  block.code.split('\n').forEach((line, offset) => {
    text.push(line);
    readmeLines.push(block.line + offset);
  });
  return { text: `${text.join('\n')}\n`, readmeLines, preludeLineCount };
}

function parse(code: string): ts.SourceFile {
  return ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Top-level names a list of statements declares (imports, variables, functions, types). */
export function declaredNames(statements: readonly ts.Statement[]): Set<string> {
  const names = new Set<string>();
  for (const statement of statements) {
    for (const name of namesOf(statement)) names.add(name);
  }
  return names;
}

function namesOf(statement: ts.Statement): string[] {
  if (ts.isImportDeclaration(statement)) {
    const clause = statement.importClause;
    if (!clause) return [];
    const names = clause.name ? [clause.name.text] : [];
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) names.push(element.name.text);
    }
    return names;
  }
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((declaration) =>
      bindingNames(declaration.name),
    );
  }
  if (
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement) ||
    ts.isImportEqualsDeclaration(statement) ||
    ts.isModuleDeclaration(statement)
  ) {
    return statement.name && ts.isIdentifier(statement.name) ? [statement.name.text] : [];
  }
  return [];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : bindingNames(element.name),
  );
}

/**
 * The statement without the names in `taken`: unchanged when it declares none
 * of them, undefined when it declares only such names, and a narrowed import
 * when an import declares some.
 */
function withoutNames(statement: ts.Statement, taken: Set<string>): ts.Statement | undefined {
  const names = namesOf(statement);
  if (!names.some((name) => taken.has(name))) return statement;
  if (!ts.isImportDeclaration(statement) || !statement.importClause) return undefined;
  const clause = statement.importClause;
  const name = clause.name && !taken.has(clause.name.text) ? clause.name : undefined;
  let bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings) && taken.has(bindings.name.text)) {
    bindings = undefined;
  } else if (bindings && ts.isNamedImports(bindings)) {
    const elements = bindings.elements.filter((element) => !taken.has(element.name.text));
    bindings = elements.length > 0 ? ts.factory.updateNamedImports(bindings, elements) : undefined;
  }
  if (!name && !bindings) return undefined;
  return ts.factory.updateImportDeclaration(
    statement,
    statement.modifiers,
    ts.factory.updateImportClause(clause, clause.phaseModifier, name, bindings),
    statement.moduleSpecifier,
    statement.attributes,
  );
}
