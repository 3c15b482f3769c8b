import { InMemoryTokenStorage } from '@forge/core';
import { runStorageConformance } from './storage-conformance.js';

let now = Date.now();

runStorageConformance(
  'InMemoryTokenStorage',
  () => {
    now = Date.now();
    return new InMemoryTokenStorage({ clock: () => now });
  },
  {
    advanceTime: (ms) => {
      now += ms;
    },
  },
);
