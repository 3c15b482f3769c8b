export { ExitCode } from './exit-codes.js';
export type { CliIO, OutputStream } from './io.js';
export { main } from './main.js';
