/**
 * Thrown by the testkit when it is started or driven with invalid input, or
 * when a helper such as {@link AuthServer.authorize} cannot complete. Messages
 * start with `[forge] [testkit]`, name the option, and say how to fix it.
 *
 * @example
 * ```ts
 * try {
 *   await startAuthServer({ accessTokenTtlSeconds: 0 });
 * } catch (error) {
 *   if (error instanceof TestkitError) console.error(error.option, error.message);
 * }
 * ```
 */
export class TestkitError extends Error {
  /** The option or argument at fault, when one is. */
  readonly option: string | undefined;

  constructor(message: string, option?: string, options?: { cause?: unknown }) {
    super(
      `[forge] [testkit] ${option === undefined ? '' : `Invalid option \`${option}\`: `}${message}`,
      options,
    );
    this.name = 'TestkitError';
    this.option = option;
  }
}
