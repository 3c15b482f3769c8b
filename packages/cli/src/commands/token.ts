import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { buildRequester } from '../options/provider.js';
import type { Invocation } from '../options/resolve.js';
import type { Progress } from '../output/progress.js';
import { formatSummary, summarizeToken } from '../output/token-summary.js';

/** `forge token`: one token with the library's own provider, summarised; the token only with --show-token. */
export async function tokenCommand(
  invocation: Invocation,
  io: CliIO,
  progress: Progress,
): Promise<ExitCode> {
  const now = io.now ?? Date.now;
  const requester = buildRequester(invocation.settings, { defaultRetries: 2 });
  const token = await progress.run('token request', () => requester.request());
  const summary = summarizeToken(token, {
    serviceName: requester.serviceName,
    grant: requester.grant,
    clientAuth: requester.clientAuth,
    tokenEndpoint: await requester.tokenEndpoint(),
    showToken: invocation.showToken,
    now: now(),
  });
  io.stdout.write(
    invocation.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary),
  );
  return ExitCode.Ok;
}
