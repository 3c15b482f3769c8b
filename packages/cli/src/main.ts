import { ConfigurationError, isForgeError, TokenEndpointError } from '@forge/core';
import { doctorCommand } from './commands/doctor.js';
import { tokenCommand } from './commands/token.js';
import { ExitCode } from './exit-codes.js';
import { helpText } from './help.js';
import type { CliIO } from './io.js';
import { type Invocation, resolveInvocation, shown } from './options/resolve.js';
import { Progress } from './output/progress.js';
import { VERSION } from './version.js';

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof ConfigurationError) return ExitCode.Usage;
  if (error instanceof TokenEndpointError) {
    if (error.reason === 'network' || error.reason === 'timeout') return ExitCode.Unreachable;
    if (error.reason === 'server' || error.reason === 'rate-limited') return ExitCode.Unavailable;
  }
  return ExitCode.Failed;
}

/**
 * Runs the `forge` command line with `argv` (without `node` and the script)
 * and returns the exit code. Never throws: every failure is a message on
 * stderr (or a JSON document with `--json`) and an exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2), {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 *   env: process.env,
 * });
 * ```
 */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  let invocation: Invocation | undefined;
  try {
    invocation = resolveInvocation(argv, io.env);
    if (invocation.version) {
      io.stdout.write(`${VERSION}\n`);
      return ExitCode.Ok;
    }
    if (invocation.help || invocation.command === undefined || invocation.command === 'help') {
      (invocation.command === undefined && !invocation.help ? io.stderr : io.stdout).write(
        helpText(),
      );
      return invocation.command === undefined && !invocation.help ? ExitCode.Usage : ExitCode.Ok;
    }
    for (const warning of invocation.warnings) io.stderr.write(`forge: warning: ${warning}\n`);
    const progress = new Progress(io.stderr, !invocation.json);
    switch (invocation.command) {
      case 'token':
        return await tokenCommand(invocation, io, progress);
      case 'doctor':
        return await doctorCommand(invocation, io, progress);
      default:
        throw new ConfigurationError(
          'command',
          `unknown command ${shown(invocation.command)}; use \`forge token\` or \`forge doctor\` (forge --help)`,
          { package: 'cli' },
        );
    }
  } catch (error) {
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    const hint =
      invocation?.command === 'token' && code !== ExitCode.Usage
        ? '\nRun `forge doctor` with the same options to find out why.'
        : '';
    if (invocation?.json) {
      io.stdout.write(
        `${JSON.stringify({ ok: false, exitCode: code, error: { name: isForgeError(error) ? error.name : 'Error', code: isForgeError(error) ? error.code : undefined, message } }, null, 2)}\n`,
      );
    } else {
      io.stderr.write(`forge: ${message}${hint}\n`);
    }
    return code;
  }
}
