/** Where a stream's output goes: `process.stdout`, or anything with `write` (tests). */
export interface OutputStream {
  write(text: string): unknown;
  /** `true` on a terminal: progress lines are redrawn in place. */
  readonly isTTY?: boolean | undefined;
}

/**
 * What the CLI reads and writes, injected so it runs in-process with captured output.
 *
 * @example
 * ```ts
 * let out = '';
 * const code = await main(['token', '--issuer', issuer, '--client-id', 'svc'], {
 *   stdout: { write: (text) => (out += text) },
 *   stderr: process.stderr,
 *   env: { FORGE_CLIENT_SECRET: secret },
 * });
 * ```
 */
export interface CliIO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock; tests pin it. Default `Date.now`. */
  readonly now?: () => number;
}
