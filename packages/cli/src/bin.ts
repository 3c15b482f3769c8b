#!/usr/bin/env node
import { main } from './main.js';

// No top-level await: the same file also builds as CommonJS.
void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
