import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '@forge/core';
import { codeOf, readConfigFile } from './config-file.js';
import { OPTIONS, type OptionSpec, type Settings } from './spec.js';

/** What the command line asks for, with every source merged: flags over environment over config file. */
export interface Invocation {
  readonly command: string | undefined;
  readonly settings: Settings;
  readonly json: boolean;
  readonly showToken: boolean;
  readonly help: boolean;
  readonly version: boolean;
  /** Things to tell the user that do not stop the command (a secret given as a flag). */
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function usage(option: string, problem: string): ConfigurationError {
  return new ConfigurationError(option, problem, { package: 'cli' });
}

function parseOptions(): Record<
  string,
  { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
> {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
  > = {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    'show-token': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const spec of OPTIONS) {
    if (spec.secret !== 'file-only') {
      options[spec.flag] = { type: 'string', ...(spec.kind === 'list' ? { multiple: true } : {}) };
    }
    if (spec.secret) options[`${spec.flag}-file`] = { type: 'string' };
  }
  return options;
}

function readSecretFile(path: string, option: string, base = process.cwd()): string {
  const absolute = resolvePath(base, path);
  try {
    // A trailing newline from `echo secret > file` is not part of the secret.
    return readFileSync(absolute, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw usage(option, `cannot read ${absolute}: ${codeOf(error)}`);
  }
}

function toNumber(raw: unknown, option: string): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw usage(option, 'must be a whole number, 0 or more');
  }
  return value;
}

function toList(raw: unknown, option: string): string[] {
  if (typeof raw === 'string' && raw !== '') return [raw];
  if (
    Array.isArray(raw) &&
    raw.length > 0 &&
    raw.every((item) => typeof item === 'string' && item !== '')
  ) {
    return raw as string[];
  }
  throw usage(option, 'must be a non-empty string or a list of non-empty strings');
}

function toValue(spec: OptionSpec, raw: unknown, option: string): Settings[keyof Settings] {
  if (spec.kind === 'number') return toNumber(raw, option);
  if (spec.kind === 'list') return toList(raw, option);
  if (typeof raw !== 'string' || raw === '') throw usage(option, 'must be a non-empty string');
  return raw;
}

/** `params` in a config file may be an object (`{ audience: "x" }`); on the command line it is `name=value`. */
function configParams(raw: unknown): string[] {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    return Object.entries(raw).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((item) => {
        if (typeof item !== 'string')
          throw usage(`params.${name}`, 'must be a string or a list of strings');
        return `${name}=${item}`;
      }),
    );
  }
  return toList(raw, 'params');
}

/**
 * A word from the command line as it may be printed: quoted when it looks
 * like a flag or a command, otherwise not at all (it may be a secret typed
 * in the wrong place).
 */
export function shown(word: string): string {
  return /^-{0,2}[a-z][a-z0-9-]{0,31}$/.test(word)
    ? `"${word}"`
    : '(not shown: it does not look like an option)';
}

/**
 * Reads the command line, the environment and an optional config file
 * (`--config`, or `FORGE_CONFIG`) into one set of settings. Invalid input is
 * a `ConfigurationError` naming the flag, variable or config key.
 */
export function resolveInvocation(argv: readonly string[], env: Env): Invocation {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseOptions(),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    // An unknown option is named only when it looks like one: a mistyped
    // `--client-secret=…` or a secret where a flag should be stays unprinted.
    const problem =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${shown(/'([^']*)'/.exec(message)?.[1]?.split('=')[0] ?? '')}`
        : message.replace(/\.?$/, '');
    throw usage('command line', `${problem}. Run \`forge --help\` for the options.`);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const [command, ...extra] = parsed.positionals;
  if (extra.length > 0) {
    throw usage(
      'command line',
      `unexpected argument ${shown(extra[0] ?? '')}; options start with --`,
    );
  }
  const warnings: string[] = [];
  const settings: Settings = {};
  const set = (spec: OptionSpec, value: Settings[keyof Settings]): void => {
    (settings as Record<string, unknown>)[spec.key] = value;
  };

  const configPath = (values.config as string | undefined) ?? env.FORGE_CONFIG;
  if (configPath !== undefined) {
    const file = readConfigFile(configPath);
    for (const spec of OPTIONS) {
      const raw = file.values[spec.key];
      const fromFile = spec.secret ? file.values[`${spec.key}File`] : undefined;
      if (raw !== undefined && fromFile !== undefined) {
        throw usage(
          spec.key,
          `give \`${spec.key}\` or \`${spec.key}File\` in ${file.path}, not both`,
        );
      }
      if (fromFile !== undefined) {
        if (typeof fromFile !== 'string') throw usage(`${spec.key}File`, 'must be a path');
        set(spec, readSecretFile(fromFile, `${spec.key}File`, file.folder));
      } else if (raw !== undefined) {
        set(spec, spec.key === 'params' ? configParams(raw) : toValue(spec, raw, spec.key));
      }
    }
  }

  for (const spec of OPTIONS) {
    const fileVariable = spec.secret ? env[`${spec.env}_FILE`] : undefined;
    const variable = env[spec.env];
    if (fileVariable) set(spec, readSecretFile(fileVariable, `${spec.env}_FILE`));
    else if (variable !== undefined && variable !== '') {
      set(
        spec,
        spec.kind === 'list'
          ? variable.split(spec.key === 'params' ? /\s*[,\n]\s*/ : /\s+/).filter(Boolean)
          : toValue(spec, variable, spec.env),
      );
    }
  }

  for (const spec of OPTIONS) {
    const fromFile = spec.secret ? values[`${spec.flag}-file`] : undefined;
    const raw = values[spec.flag];
    if (fromFile !== undefined && raw !== undefined) {
      throw usage(`--${spec.flag}`, `give --${spec.flag} or --${spec.flag}-file, not both`);
    }
    if (typeof fromFile === 'string') set(spec, readSecretFile(fromFile, `--${spec.flag}-file`));
    else if (raw !== undefined) {
      if (spec.secret === 'flag-warns') {
        warnings.push(
          `--${spec.flag} puts a secret on the command line, where \`ps\` and shell history can read it; use ${spec.env} or --${spec.flag}-file instead.`,
        );
      }
      set(spec, toValue(spec, raw, `--${spec.flag}`));
    }
  }

  return {
    command,
    settings,
    json: values.json === true,
    showToken: values['show-token'] === true,
    help: values.help === true,
    version: values.version === true,
    warnings,
  };
}
