import { DiscoveryCache, isForgeError } from '@forge/core';
import type { Progress } from '../output/progress.js';
import { type Check, fail } from './check.js';
import { readMetadata, type ServerMetadata } from './metadata.js';
import { networkCheck } from './network.js';
import type { Recorder } from './recorder.js';

/** What discovery left for the token request step. */
export interface Discovered {
  readonly metadata: ServerMetadata | undefined;
  /** The token endpoint the metadata names, also when its issuer is wrong. */
  readonly tokenEndpoint: string | undefined;
  /** `false` when the metadata names another issuer: the library would refuse it. */
  readonly issuerUsable: boolean;
}

export interface DiscoveryStep {
  readonly issuer: string;
  readonly recorder: Recorder;
  readonly progress: Progress;
  readonly timeoutMs: number;
  readonly add: (check: Check) => void;
}

/** The same trailing-slash tolerance as the library's discovery. */
const sameIssuer = (a: string, b: string): boolean => a.replace(/\/$/, '') === b.replace(/\/$/, '');

/**
 * Runs the library's discovery through the recorder. When it fails, the
 * recorded exchanges tell why: metadata for another issuer, a network or TLS
 * error, or the library's own reason.
 */
export async function discoveryStep(step: DiscoveryStep): Promise<Discovered> {
  const { issuer, recorder, add } = step;
  const from = recorder.exchanges.length;
  const started = performance.now();
  try {
    const found = await step.progress.run('discovery', () =>
      new DiscoveryCache().get(issuer, { fetch: recorder.fetch, timeoutMs: step.timeoutMs }),
    );
    add({
      id: 'discovery',
      status: 'ok',
      ms: Math.round(performance.now() - started),
      summary: `Discovery found the token endpoint ${found.token_endpoint}.`,
    });
    return {
      metadata: readMetadata(found),
      tokenEndpoint: found.token_endpoint,
      issuerUsable: true,
    };
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    const seen = recorder.exchanges.slice(from);
    const named = seen
      .map((exchange) => exchange.metadata && readMetadata(exchange.metadata))
      .find((found) => found !== undefined);
    if (named && !sameIssuer(named.issuer, issuer)) {
      add({
        ...fail(
          'issuer',
          `The server at ${issuer} says its issuer is ${named.issuer}. Forge refuses metadata for another issuer (RFC 8414 §3.3, mix-up attacks).`,
          `If ${named.issuer} is the server you mean, set --issuer ${named.issuer} (issuer in a config file) exactly as the server writes it. If not, ${issuer} leads to another server (a proxy or a wrong host).`,
        ),
        ms,
      });
      // Doctor goes on with the endpoint the server named, to check the rest.
      return { metadata: named, tokenEndpoint: named.tokenEndpoint, issuerUsable: false };
    }
    const network = seen
      .map((exchange) => networkCheck('discovery', exchange, step.timeoutMs))
      .find((check) => check !== undefined);
    add({
      ...(network ??
        fail(
          'discovery',
          isForgeError(error) ? error.message.replace(/^\[forge\] \[[^\]]+\] /, '') : String(error),
          'Check the issuer URL (some servers need a path, such as /realms/<name> or /oauth2/default), or set --token-endpoint and leave --issuer out.',
        )),
      ms,
    });
    return { metadata: undefined, tokenEndpoint: undefined, issuerUsable: true };
  }
}
