import manifest from '../package.json' with { type: 'json' };

/** The package version, inlined by the build. */
export const VERSION: string = manifest.version;
