import { defineConfig, type UserConfig } from 'tsdown';
import root from '../../tsdown.config.ts';

const base = root as UserConfig;

// The root build plus the `forge` executable: `src/bin.ts` is an entry of its
// own (kept out of the exports map; package.json's `bin` names it).
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/bin.ts'],
  exports: { devExports: '@forge/source', exclude: ['bin'], bin: false },
});
