import {
  AuthenticationError,
  type ClientAuthMethod,
  isForgeError,
  REDACTED,
  type Token,
} from '@forge/core';
import { ExitCode } from '../exit-codes.js';
import { buildRequester, type TokenRequester } from '../options/provider.js';
import type { Settings } from '../options/spec.js';
import type { Progress } from '../output/progress.js';
import { answerCheck, errorCheck } from './answers.js';
import { type Check, fail } from './check.js';
import { clockCheck } from './clock.js';
import { discoveryStep } from './discovery-step.js';
import { advertisedChecks, type ServerMetadata } from './metadata.js';
import { networkCheck } from './network.js';
import { type Exchange, Recorder } from './recorder.js';

/** Doctor's findings, in the order they were made. */
export interface DoctorReport {
  readonly serviceName: string;
  readonly grant: string;
  readonly clientAuth: string;
  readonly checks: readonly Check[];
  readonly exitCode: ExitCode;
}

export interface DoctorOptions {
  readonly settings: Settings;
  readonly progress: Progress;
  /** Called with each check as soon as it is made (plain-line output). */
  readonly onCheck: (check: Check) => void;
  readonly now: () => number;
}

const SECRET_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
];

function describeToken(token: Token, now: number): string {
  const expires = token.expiresAt
    ? `expires in ${Math.round((token.expiresAt.getTime() - now) / 1000)} s`
    : 'no expiry stated';
  return `${token.tokenType} token, ${expires}${token.scope ? `, scope "${token.scope}"` : ''}`;
}

/**
 * Runs discovery and a token request with the user's settings, timing each
 * step, and turns what went wrong into checks that say how to fix it.
 * Sends at most: two discovery requests, one token request, and (only after
 * `invalid_client` with a client secret) one more per other secret method.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { settings, progress, now } = options;
  const checks: Check[] = [];
  const recorder = new Recorder(globalThis.fetch, now);
  // Validates everything before a request is sent: a usage error exits 2 from here.
  const configured = buildRequester(settings, { fetch: recorder.fetch, defaultRetries: 0 });
  // Summaries quote servers and the library, which redact already; this also
  // catches any value from the user's own settings that came back in an answer.
  const add = (check: Check): void => {
    const safe: Check = {
      ...check,
      summary: scrub(check.summary, configured.secrets),
      ...(check.fix === undefined ? {} : { fix: scrub(check.fix, configured.secrets) }),
    };
    checks.push(safe);
    options.onCheck(safe);
  };
  const timeoutMs = settings.timeoutMs ?? 10_000;
  const signsAssertions =
    configured.clientAuth === 'private_key_jwt' ||
    configured.clientAuth === 'client_secret_jwt' ||
    (configured.grant === 'jwt_bearer' && settings.assertionKey !== undefined);
  add({
    id: 'configuration',
    status: 'ok',
    summary: `"${configured.serviceName}": ${configured.grant} grant, ${configured.clientAuth}${settings.issuer ? `, issuer ${settings.issuer}` : ''}${settings.tokenEndpoint ? `, token endpoint ${settings.tokenEndpoint}` : ''}.`,
  });

  const discovered =
    settings.issuer === undefined
      ? { metadata: undefined, tokenEndpoint: undefined, issuerUsable: true }
      : await discoveryStep({ issuer: settings.issuer, recorder, progress, timeoutMs, add });
  const { metadata, issuerUsable } = discovered;
  const tokenEndpoint = settings.tokenEndpoint ?? discovered.tokenEndpoint;
  if (
    discovered.tokenEndpoint &&
    settings.tokenEndpoint &&
    settings.tokenEndpoint !== discovered.tokenEndpoint
  ) {
    add({
      id: 'token-endpoint-differs',
      status: 'warn',
      summary: `The configured token endpoint ${settings.tokenEndpoint} differs from the one the issuer names (${discovered.tokenEndpoint}).`,
      fix: 'Leave --token-endpoint out and let discovery find it, unless the difference is intended.',
    });
  }
  if (metadata) {
    for (const check of advertisedChecks(metadata, configured.grant, configured.clientAuth))
      add(check);
  }

  if (tokenEndpoint === undefined) {
    add({
      id: 'token-request',
      status: 'skip',
      summary: 'No token endpoint to ask: fix discovery first.',
    });
    return finish(configured, checks);
  }

  const attempt = (clientAuth?: ClientAuthMethod): TokenRequester =>
    buildRequester(settings, {
      fetch: recorder.fetch,
      defaultRetries: 0,
      tokenEndpoint,
      withoutIssuer: !issuerUsable,
      ...(clientAuth ? { clientAuth } : {}),
    });
  const from = recorder.exchanges.length;
  const started = performance.now();
  let failure: unknown;
  try {
    const token = await progress.run('token request', () => attempt().request());
    add({
      id: 'token-request',
      status: 'ok',
      ms: Math.round(performance.now() - started),
      summary: `The token endpoint issued a ${describeToken(token, now())}.`,
    });
  } catch (error) {
    failure = error;
  }
  if (failure !== undefined) {
    const ms = Math.round(performance.now() - started);
    const sent = recorder.exchanges.slice(from).filter((exchange) => exchange.method === 'POST');
    const last: Exchange | undefined = sent.at(-1);
    const check =
      networkCheck('token-request', last, timeoutMs) ??
      answerCheck(last) ??
      (isForgeError(failure)
        ? errorCheck(failure)
        : fail('token-request', String(failure), 'This is a bug in forge: please report it.'));
    add({ ...check, ms });
    if (failure instanceof AuthenticationError && failure.error === 'invalid_client') {
      add(await probeClientAuth(configured, settings, metadata, attempt, progress));
    }
  }
  add(clockCheck(recorder.exchanges, signsAssertions));
  return finish(configured, checks);
}

/** After `invalid_client`: tries the other secret methods, so the report can name the right one. */
async function probeClientAuth(
  configured: TokenRequester,
  settings: Settings,
  metadata: ServerMetadata | undefined,
  attempt: (clientAuth: ClientAuthMethod) => TokenRequester,
  progress: Progress,
): Promise<Check> {
  const advertised = metadata?.authMethods
    ? ` The server advertises: ${metadata.authMethods.join(', ')}.`
    : '';
  if (settings.clientSecret === undefined) {
    return fail(
      'client-auth',
      `The server does not accept this client with ${configured.clientAuth}.${advertised}`,
      configured.clientAuth === 'private_key_jwt'
        ? "Check that the key is the one registered for the client (its kid and alg: --kid, --alg), the client id, and this machine's clock."
        : 'Check the client id and the method the client is registered with (--client-auth).',
    );
  }
  const candidates = SECRET_METHODS.filter(
    (method) =>
      method !== configured.clientAuth && (metadata?.authMethods?.includes(method) ?? true),
  );
  for (const method of candidates) {
    try {
      await progress.run(`trying ${method}`, () => attempt(method).request());
      return fail(
        'client-auth',
        `Wrong client authentication method: the server refuses ${configured.clientAuth} for this client and accepts ${method}.${advertised}`,
        `Use --client-auth ${method} (clientAuth: ${method} in a config file, FORGE_CLIENT_AUTH=${method}; in code, clientAuth: '${method}').`,
      );
    } catch {
      // Not this one either.
    }
  }
  return fail(
    'client-auth',
    `The server refuses this client with ${[configured.clientAuth, ...candidates].join(', ')}.${advertised}`,
    'The client id or secret is wrong (a secret that was rotated, a trailing space, the secret of another environment), or the client is registered for private_key_jwt: check the registration on the server.',
  );
}

/**
 * Only the exact values: core's `redact` also blanks anything that reads like
 * a credential ("Bearer token"), which in a sentence about one is a word.
 */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  return out;
}

function finish(configured: TokenRequester, checks: readonly Check[]): DoctorReport {
  const failed = checks.find((check) => check.status === 'fail');
  return {
    serviceName: configured.serviceName,
    grant: configured.grant,
    clientAuth: configured.clientAuth,
    checks,
    exitCode: failed?.exitCode ?? (failed ? ExitCode.Failed : ExitCode.Ok),
  };
}
