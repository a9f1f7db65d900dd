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
  const patterns = new Map<string, ReturnType<Compile>>();
  const cached = ((path, options = {}) => {
    if (typeof path !== 'string' || !Object.keys(options).every((name) => keyedOptions.has(name))) {
      return compile(path, options);
    }
    const { sensitive, strict, end, trailing, delimiter } = options as Record<string, unknown>;
    const key = `${path}\u0000${sensitive}\u0000${strict}\u0000${end}\u0000${trailing}\u0000${delimiter}`;
    let pattern = patterns.get(key);
    if (pattern === undefined) {
      pattern = compile(path, options);
      if (patterns.size < maxPatterns) patterns.set(key, pattern);
    }
    return pattern;
  }) as Compile;
  (pathToRegexpModule as unknown as { pathToRegexp: Compile }).pathToRegexp = cached;
}
