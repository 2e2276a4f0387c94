/**
 * mulberry32: a tiny PRNG. Chaos runs must replay identically from a seed, which `Math.random`
 * cannot do, and the quality bar here is "spread faults evenly", not cryptography.
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
