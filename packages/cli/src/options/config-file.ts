import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { ConfigurationError } from '@forge/core';
import { parse as parseYaml } from 'yaml';
import { OPTIONS } from './spec.js';

/** A config file's content: option name to raw value, and the folder its relative paths start from. */
export interface ConfigFile {
  readonly path: string;
  readonly folder: string;
  readonly values: Readonly<Record<string, unknown>>;
}

const KNOWN = new Set(
  OPTIONS.flatMap((spec) => (spec.secret ? [spec.key, `${spec.key}File`] : [spec.key])),
);

/** Reads a JSON or YAML config file (by extension; other names are tried as YAML, a superset of JSON). */
export function readConfigFile(path: string): ConfigFile {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigurationError('--config', `cannot read ${absolute}: ${codeOf(error)}`, {
      package: 'cli',
    });
  }
  let values: unknown;
  try {
    values = extname(absolute).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The parser's message quotes the offending line, which may hold a secret: give only where.
    throw new ConfigurationError(
      '--config',
      `${absolute} is not valid ${formatOf(absolute)}${where(error)}`,
      {
        package: 'cli',
      },
    );
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ConfigurationError('--config', `${absolute} must hold an object of options`, {
      package: 'cli',
    });
  }
  for (const key of Object.keys(values)) {
    if (!KNOWN.has(key)) {
      throw new ConfigurationError(
        `${key}`,
        `is not an option of a config file (${absolute}); known options: ${[...KNOWN].join(', ')}`,
        { package: 'cli' },
      );
    }
  }
  return { path: absolute, folder: dirname(absolute), values: values as Record<string, unknown> };
}

function formatOf(path: string): string {
  return extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML';
}

function where(error: unknown): string {
  const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
  return line === undefined ? '' : ` (line ${line})`;
}

export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unreadable';
}
