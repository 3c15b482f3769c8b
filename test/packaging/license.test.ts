// Every package that is published ships the project's LICENSE, word for word,
// and says so in its package.json: a copy per package cannot drift unnoticed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const published = readdirSync(join(root, 'packages')).filter((name) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  return manifest.private !== true;
});

describe('licensing of the published packages', () => {
  it.each(published)('packages/%s carries the root LICENSE and declares MIT', (name) => {
    const dir = join(root, 'packages', name);
    expect(existsSync(join(dir, 'LICENSE'))).toBe(true);
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(license);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).license).toBe('MIT');
  });
});
