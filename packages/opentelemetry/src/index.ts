export { type Instrumentation, instrumentTokenManager } from './instrument.js';
export { ForgeAttribute, ForgeMetric, ForgeSpan } from './names.js';
export type { InstrumentationOptions } from './options.js';
export type { ObservedManager } from './types.js';
