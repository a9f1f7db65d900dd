/**
 * The Node flags both programs run with outside tests: the images' CMD (checked by
 * test/deploy), `npm start` and the benchmark.
 *
 * Node 26's V8 lets the young generation grow much larger than Node 20's did: under the
 * benchmark's load each program kept about 56 MB of new space (34 MB on Node 20), most of
 * it garbage waiting for the next scavenge. 8 MB semi-spaces took about 40 MB off the
 * gateway's peak RSS and 30 MB off the auth-service's with no fewer requests per second
 * (README, Performance); smaller ones saved almost nothing more and cost throughput.
 */
export const productionNodeFlags = ['--max-semi-space-size=8'];
