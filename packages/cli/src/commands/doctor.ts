import type { Check } from '../doctor/check.js';
import { runDoctor } from '../doctor/run.js';
import type { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import type { Invocation } from '../options/resolve.js';
import type { Progress } from '../output/progress.js';

const LABEL: Readonly<Record<Check['status'], string>> = {
  ok: '[ok]  ',
  warn: '[warn]',
  fail: '[FAIL]',
  skip: '[skip]',
};

function formatCheck(check: Check): string {
  const time = check.ms === undefined ? '' : ` (${check.ms} ms)`;
  const fix = check.fix && check.status !== 'ok' ? `\n       fix: ${check.fix}` : '';
  return `${LABEL[check.status]} ${check.id}${time}: ${check.summary}${fix}\n`;
}

/** `forge doctor`: each check printed as it is made (or one JSON document at the end). */
export async function doctorCommand(
  invocation: Invocation,
  io: CliIO,
  progress: Progress,
): Promise<ExitCode> {
  const report = await runDoctor({
    settings: invocation.settings,
    progress,
    now: io.now ?? Date.now,
    onCheck: (check) => {
      if (!invocation.json) io.stdout.write(formatCheck(check));
    },
  });
  if (invocation.json) {
    io.stdout.write(`${JSON.stringify({ ok: report.exitCode === 0, ...report }, null, 2)}\n`);
  } else {
    const failed = report.checks.filter((check) => check.status === 'fail').length;
    const warned = report.checks.filter((check) => check.status === 'warn').length;
    io.stdout.write(
      failed === 0
        ? `\nNo problem found${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.\n`
        : `\n${failed} problem${failed > 1 ? 's' : ''} found (exit ${report.exitCode}).\n`,
    );
  }
  return report.exitCode;
}
