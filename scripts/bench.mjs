// `npm run bench`: compiles the library for the benchmark and runs bench/run-bench.mjs (see
// BENCHMARKS.md). Plain ESM end to end, so no TypeScript loader is involved in what is measured.
import '../bench/run-bench.mjs';
