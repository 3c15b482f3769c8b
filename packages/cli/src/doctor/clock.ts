import type { Check } from './check.js';
import { fail } from './check.js';
import type { Exchange } from './recorder.js';

/** Beyond this, signed assertions (`iat`, `exp`, usually 60 s of leeway) start being refused. */
const ASSERTION_LEEWAY_MS = 60_000;
/** `Date` has whole seconds: differences up to this are noise. */
const NOISE_MS = 5_000;

/**
 * Compares the server's `Date` header with this machine's clock when the
 * answer arrived. `signsAssertions`: the client signs JWTs (private_key_jwt,
 * client_secret_jwt, a jwt-bearer signer), which servers refuse when the
 * clocks disagree by more than their leeway.
 */
export function clockCheck(exchanges: readonly Exchange[], signsAssertions: boolean): Check {
  const dated = exchanges.filter(
    (exchange) => exchange.date !== undefined && !Number.isNaN(Date.parse(exchange.date)),
  );
  const last = dated.at(-1);
  if (last?.date === undefined) {
    return {
      id: 'clock',
      status: 'skip',
      summary: 'The server sent no Date header: clock skew not checked.',
    };
  }
  // The header is truncated to the second (its true value is up to 1 s later): NOISE_MS covers that.
  const skew = Date.parse(last.date) - last.at;
  const size = Math.abs(skew);
  const direction = skew > 0 ? 'ahead of' : 'behind';
  const amount = `${Math.round(size / 1000)} s ${direction} this machine`;
  if (size <= NOISE_MS) {
    return {
      id: 'clock',
      status: 'ok',
      summary: `The server's clock agrees with this machine's (within ${NOISE_MS / 1000} s).`,
    };
  }
  const fix =
    "Synchronise this machine's clock (NTP: `timedatectl set-ntp true`, `chronyc tracking`), or have the server's operators fix theirs.";
  if (size > ASSERTION_LEEWAY_MS && signsAssertions) {
    return fail(
      'clock',
      `The server's clock is ${amount}: the JWTs this client signs (iat, exp) look ${skew > 0 ? 'old' : 'issued in the future'} to it and may be refused.`,
      fix,
    );
  }
  return {
    id: 'clock',
    status: 'warn',
    summary: `The server's clock is ${amount}. Forge counts expiry on this machine's clock from expires_in, so tokens still work; JWT times (exp, nbf) checked elsewhere may not${signsAssertions ? ", and signed assertions are refused past the server's leeway" : ''}.`,
    fix,
  };
}
