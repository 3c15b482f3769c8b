import type { TokenManagerEvents } from '@forge/core';
import type { Attributes, BatchObservableCallback, Meter } from '@opentelemetry/api';
import { errorAttributes } from './attributes.js';
import { ForgeAttribute, ForgeMetric } from './names.js';
import type { ResolvedInstrumentationOptions } from './options.js';
import type { ObservedManager } from './types.js';

// The HTTP client duration buckets of the semantic conventions, in seconds.
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

type Ended = TokenManagerEvents['fetched' | 'refreshed' | 'reused' | 'failed'];

/**
 * Counters and the histogram follow the manager's events; the cache, expiry
 * and backoff instruments are observed from `status()` at collection time, so
 * a cache hit costs the manager one integer increment and nothing here.
 */
export function recordMetrics(
  manager: ObservedManager,
  meter: Meter,
  options: ResolvedInstrumentationOptions,
): () => void {
  const service: Attributes = { [ForgeAttribute.Service]: manager.serviceName };
  const requests = meter.createCounter(ForgeMetric.TokenRequests, {
    description: 'Token requests that ended, by outcome (fetched, refreshed, reused, failed).',
    unit: '{request}',
  });
  const duration = meter.createHistogram(ForgeMetric.TokenRequestDuration, {
    description: 'Duration of token requests, from the first caller waiting to the outcome.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const renewals = meter.createCounter(ForgeMetric.TokenRenewals, {
    description: 'Token requests started because the server rejected the held token (HTTP 401).',
    unit: '{request}',
  });
  const storageErrors = meter.createCounter(ForgeMetric.StorageErrors, {
    description: 'Failed storage calls; each was treated as a cache miss.',
    unit: '{error}',
  });
  const lookups = meter.createObservableCounter(ForgeMetric.CacheLookups, {
    description: 'getToken() calls answered from the in-process tier (hit) or not (miss).',
    unit: '{lookup}',
  });
  const expiresIn = meter.createObservableGauge(ForgeMetric.TokenExpiresIn, {
    description: 'Time until the soonest-expiring usable token expires.',
    unit: 's',
  });
  const backoffKeys = meter.createObservableGauge(ForgeMetric.BackoffKeys, {
    description: 'Keys whose token requests are backing off after failures.',
    unit: '{key}',
  });
  const backoffRemaining = meter.createObservableGauge(ForgeMetric.BackoffRemaining, {
    description: 'The longest remaining backoff among keys backing off.',
    unit: 's',
  });

  const ended = (outcome: string) => (event: Ended) => {
    const attributes: Attributes = {
      ...service,
      [ForgeAttribute.Outcome]: outcome,
      [ForgeAttribute.Reason]: event.reason,
      ...('error' in event ? errorAttributes(event.error) : {}),
    };
    requests.add(1, attributes);
    duration.record(event.durationMs / 1000, attributes);
  };
  const off = [
    manager.on('fetched', ended('fetched')),
    manager.on('refreshed', ended('refreshed')),
    manager.on('reused', ended('reused')),
    manager.on('failed', ended('failed')),
    manager.on('started', ({ reason }) => {
      if (reason === 'rejected') renewals.add(1, service);
    }),
    manager.on('storageError', ({ operation, error }) => {
      storageErrors.add(1, {
        ...service,
        [ForgeAttribute.StorageOperation]: operation,
        ...errorAttributes(error),
      });
    }),
  ];

  const observe: BatchObservableCallback = (result) => {
    const status = manager.status();
    result.observe(lookups, status.cache.hits, { ...service, [ForgeAttribute.CacheResult]: 'hit' });
    result.observe(lookups, status.cache.misses, {
      ...service,
      [ForgeAttribute.CacheResult]: 'miss',
    });
    let soonest = Number.POSITIVE_INFINITY;
    let backingOff = 0;
    let longest = 0;
    const now = Date.now();
    for (const key of status.keys) {
      const keyed = options.keyAttribute
        ? { ...service, [ForgeAttribute.Key]: key.key }
        : undefined;
      if (key.usable && key.expiresInMs !== undefined) {
        soonest = Math.min(soonest, key.expiresInMs);
        if (keyed) result.observe(expiresIn, key.expiresInMs / 1000, keyed);
      }
      if (key.backingOffUntil !== undefined) {
        const remaining = Math.max(0, key.backingOffUntil.getTime() - now);
        backingOff++;
        longest = Math.max(longest, remaining);
        if (keyed) result.observe(backoffRemaining, remaining / 1000, keyed);
      }
    }
    if (!options.keyAttribute) {
      if (Number.isFinite(soonest)) result.observe(expiresIn, soonest / 1000, service);
      result.observe(backoffRemaining, longest / 1000, service);
    }
    result.observe(backoffKeys, backingOff, service);
  };
  const observables = [lookups, expiresIn, backoffKeys, backoffRemaining];
  meter.addBatchObservableCallback(observe, observables);
  return () => {
    for (const unsubscribe of off) unsubscribe();
    meter.removeBatchObservableCallback(observe, observables);
  };
}
