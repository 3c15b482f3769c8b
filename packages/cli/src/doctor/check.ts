import { ExitCode } from '../exit-codes.js';

/** `ok` passed, `warn` works but deserves a look, `fail` is a problem, `skip` could not run. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of doctor's report. */
export interface Check {
  /** Stable name for scripts: `discovery`, `token-request`, `clock`, `client-auth`, `issuer`, … */
  readonly id: string;
  readonly status: CheckStatus;
  /** What was found, in one sentence. */
  readonly summary: string;
  /** How to fix it, when it is a problem. */
  readonly fix?: string;
  /** How long the step took, for steps that send requests. */
  readonly ms?: number;
  /** The exit code this problem maps to (fail only). */
  readonly exitCode?: ExitCode;
}

export function fail(
  id: string,
  summary: string,
  fix: string,
  exitCode: ExitCode = ExitCode.Failed,
): Check {
  return { id, status: 'fail', summary, fix, exitCode };
}
