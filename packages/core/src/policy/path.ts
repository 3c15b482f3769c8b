const ESCAPE = /%[0-9A-Fa-f]{2}/g;
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
// Separators some servers decode or accept in place of `/` (encoded slash and
// backslash, a raw backslash) and runs of slashes that others merge.
const LOOSE_SEPARATORS = /%2f|%5c|\\/gi;
const SLASH_RUNS = /\/{2,}/g;

function decodeUnreserved(path: string): string {
  return path.replace(ESCAPE, (sequence) => {
    const char = String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
    return UNRESERVED.test(char) ? char : sequence.toUpperCase();
  });
}

/** RFC 3986 §5.2.4: resolves `.` and `..` segments; `..` never climbs above the root. */
export function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/');
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as string;
    const last = index === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && output.length > 1) output.pop();
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  }
  const joined = output.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

const PATH_PARAMETERS = /;[^/]*/g;
const TRAILING_SLASHES = /(.)\/+$/;

/**
 * The ways a server may read a request path, for judging exclusions: with
 * percent-encoded unreserved characters decoded (`/%70ublic` is `/public`) and
 * dot segments resolved; where the path has them, with encoded slashes,
 * backslashes and runs of slashes read as one `/`, and `;` path parameters
 * dropped from each segment (Tomcat and Spring read `/public;x` as `/public`
 * and `/..;/` as `/../`); and each reading without a trailing slash (Express
 * and most routers send `/health/` to the `/health` route). An exclusion that
 * matches any of them applies: when in doubt, no credentials.
 *
 * @example
 * ```ts
 * pathReadings('/%70ublic/./info');   // ['/public/info']
 * pathReadings('/api%2F..%2Fpublic'); // ['/api%2F..%2Fpublic', '/public']
 * pathReadings('/health/');           // ['/health/', '/health']
 * ```
 */
export function pathReadings(pathname: string): readonly string[] {
  const strict = removeDotSegments(decodeUnreserved(pathname));
  const loose = removeDotSegments(
    strict.replace(LOOSE_SEPARATORS, '/').replace(PATH_PARAMETERS, '').replace(SLASH_RUNS, '/'),
  );
  const readings = new Set([strict, loose]);
  for (const reading of [strict, loose]) readings.add(reading.replace(TRAILING_SLASHES, '$1'));
  return [...readings];
}
