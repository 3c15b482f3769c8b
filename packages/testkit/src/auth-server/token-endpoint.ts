import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { claimedClientId, type TokenRequestLog } from './counters.js';
import { applyFault, delay } from './fault-responses.js';
import type { FaultController } from './faults.js';

type Middleware = Parameters<Provider['use']>[0];

/**
 * Runs in front of oidc-provider's token endpoint: applies the fault in force
 * and counts every request, answered by oidc-provider or by a fault.
 */
export function tokenEndpointMiddleware(
  faults: FaultController,
  log: TokenRequestLog,
  pending: Set<() => void>,
): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/token' || ctx.method !== 'POST') {
      await next();
      return;
    }
    const fault = faults.take();
    if (fault?.mode === 'delay') {
      await delay(fault.delayMs ?? 0, pending);
    } else if (fault) {
      await applyFault(ctx as KoaContextWithOIDC, fault, pending, (record) => log.add(record));
      return;
    }
    try {
      await next();
    } finally {
      const oidcCtx = ctx as KoaContextWithOIDC;
      const body = oidcCtx.oidc?.body as Record<string, unknown> | undefined;
      log.add({
        clientId: claimedClientId(ctx.get('authorization') || undefined, body),
        grantType: typeof body?.grant_type === 'string' ? body.grant_type : undefined,
        status: ctx.status,
        faulted: false,
      });
    }
  };
}
