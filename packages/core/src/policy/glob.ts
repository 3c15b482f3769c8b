import { ConfigurationError } from '../errors.js';

// Characters with a meaning elsewhere in a URL or in other glob dialects: rejecting
// them keeps a pattern from silently meaning something else than its author thinks.
const FORBIDDEN = /[\s?#[\]{}\\]/;
const REGEXP_SPECIAL = /[.+^$()|]/g;

/**
 * Compiles a path glob into an anchored `RegExp`, once, at configuration time.
 *
 * - `*` matches any characters within one path segment (never `/`), including none.
 * - `**` is a whole segment and matches any characters, `/` included.
 * - A pattern starting with `/` is matched from the root of the path; any other
 *   pattern matches at any depth (`*\/health` matches `/health` and `/v1/svc/health`).
 * - Everything else is literal (the request policy compares without regard to case). `?`, `#`, `[`, `]`, `{`, `}`,
 *   `\` and whitespace are rejected: patterns match the path only, never the query.
 *
 * Throws a `ConfigurationError` naming `option` when the pattern is malformed.
 *
 * @example
 * ```ts
 * compilePathGlob('/api/v*\/status').test('/api/v2/status'); // true
 * compilePathGlob('*\/health').test('/internal/health');      // true
 * compilePathGlob('/public/**').test('/public/a/b.css');     // true
 * ```
 */
export function compilePathGlob(pattern: unknown, option = 'excludedPathPatterns'): RegExp {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new ConfigurationError(option, 'must be a non-empty glob such as "/public/*"');
  }
  if (FORBIDDEN.test(pattern)) {
    throw new ConfigurationError(
      option,
      `"${pattern}" contains a character globs do not support (?, #, [, ], {, }, \\ or whitespace); use * within a segment and ** across segments`,
    );
  }
  const segments = pattern.split('/');
  for (const segment of segments) {
    if (segment.includes('**') && segment !== '**') {
      throw new ConfigurationError(
        option,
        `"${pattern}" uses ** inside a segment; ** must stand alone between slashes (e.g. "/public/**")`,
      );
    }
  }
  const body = segments
    .map((segment) =>
      segment === '**' ? '.*' : segment.replace(REGEXP_SPECIAL, '\\$&').replace(/\*/g, '[^/]*'),
    )
    .join('/');
  return new RegExp(pattern.startsWith('/') ? `^${body}$` : `^(?:.*/)?${body}$`);
}
