#!/usr/bin/env node
import { main } from './main.js';

// `forge doctor | head -3` closes the pipe early: stop quietly, as other commands do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

// No top-level await: the same file also builds as CommonJS.
void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
