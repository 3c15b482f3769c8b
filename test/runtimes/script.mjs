// The entry point on Node, Deno and Bun: reads the harness's config from the
// environment (not argv, which other processes can read), runs the scenario and
// prints one result line for the harness (runtimes.test.mjs reads it).
import { runAll, runtimeName } from './scenario.mjs';

const RESULT_PREFIX = 'FORGE_RUNTIME_RESULT ';

// Set by the harness for this process only; no turbo task reads it.
const CONFIG_VARIABLE = 'FORGE_RUNTIME_CONFIG';
const raw = globalThis.Deno
  ? globalThis.Deno.env.get(CONFIG_VARIABLE)
  : globalThis.process.env[CONFIG_VARIABLE];

try {
  const results = await runAll(JSON.parse(raw ?? 'null'));
  console.log(RESULT_PREFIX + JSON.stringify(results));
} catch (error) {
  // Forge's errors carry no secret; the name and message say what failed where.
  console.log(
    RESULT_PREFIX +
      JSON.stringify({ runtime: runtimeName(), error: `${error?.name}: ${error?.message}` }),
  );
}
