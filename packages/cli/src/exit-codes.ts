/**
 * What `forge` exits with, so scripts can tell a refusal from an outage.
 *
 * @example
 * ```ts
 * const code = await main(['doctor', '--issuer', issuer], io);
 * if (code === ExitCode.Unreachable) retryLater();
 * ```
 */
export const ExitCode = {
  /** Done: a token was obtained, or every doctor check passed (warnings allowed). */
  Ok: 0,
  /** The server answered but something is wrong: a refusal, a failed check, an unusable answer. */
  Failed: 1,
  /** The command line, the environment or the config file is invalid. Nothing was sent. */
  Usage: 2,
  /** The server could not be reached: DNS, connection refused or reset, TLS, timeout. */
  Unreachable: 3,
  /** The server is rate limiting (429) or failing (5xx): try again later. */
  Unavailable: 4,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
