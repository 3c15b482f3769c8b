import type { TokenManager } from '@forge/core';

/** What the instrumentation needs of a token manager: its events and its status snapshot. */
export type ObservedManager = Pick<TokenManager<never>, 'serviceName' | 'on' | 'status'>;
