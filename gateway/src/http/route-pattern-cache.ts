import * as pathToRegexpModule from 'path-to-regexp';

type Compile = typeof pathToRegexpModule.pathToRegexp;

/** Options that change the compiled pattern, as express-openapi-validator passes them. */
const keyedOptions = new Set(['sensitive', 'strict', 'end', 'trailing', 'delimiter']);
/** The contract has a few dozen path templates; the bound only guards against misuse. */
const maxPatterns = 1000;

let installed = false;

/**
 * express-openapi-validator 5.6 compiles every route template of the contract with
 * path-to-regexp on every request (`lookupRoute` in its metadata middleware): about
 * 4 µs per template, tens of microseconds per request. The templates are fixed, so the
 * compiled patterns are kept. The result is the same object each time, which is safe:
 * the validator only calls `regexp.exec` (no `g` flag, so no state) and reads `keys`.
 */
export function cacheRoutePatterns(): void {
  if (installed) return;
  installed = true;
  const compile: Compile = pathToRegexpModule.pathToRegexp;
  type Options = Record<string, unknown>;
  interface Entry {
    options: Options;
    pattern: ReturnType<Compile>;
  }
  // By path, then by option values: no key is built per call (several calls per request).
  const patterns = new Map<string, Entry[]>();
  let count = 0;
  const sameOptions = (a: Options, b: Options) =>
    a.sensitive === b.sensitive &&
    a.strict === b.strict &&
    a.end === b.end &&
    a.trailing === b.trailing &&
    a.delimiter === b.delimiter;
  const onlyKeyedOptions = (options: Options) => {
    for (const name in options) if (!keyedOptions.has(name)) return false;
    return true;
  };
  const cached = ((path, options = {}) => {
    if (typeof path !== 'string' || !onlyKeyedOptions(options as Options)) {
      return compile(path, options);
    }
    let entries = patterns.get(path);
    const hit = entries?.find((entry) => sameOptions(entry.options, options as Options));
    if (hit) return hit.pattern;
    const pattern = compile(path, options);
    if (count < maxPatterns) {
      if (entries === undefined) patterns.set(path, (entries = []));
      entries.push({ options: { ...(options as Options) }, pattern });
      count += 1;
    }
    return pattern;
  }) as Compile;
  (pathToRegexpModule as unknown as { pathToRegexp: Compile }).pathToRegexp = cached;
}
