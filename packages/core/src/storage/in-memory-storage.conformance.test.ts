import { runStorageConformance } from '@forge/testkit/conformance';
import { InMemoryTokenStorage } from './in-memory-storage.js';

// A fake clock: the expiry test moves it instead of waiting.
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
