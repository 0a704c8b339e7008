/** Seeded randomness for chunking tests: the same seed gives the same chunkings on every run. */

/** mulberry32: a small, fast, seedable PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Split `text` at random places. Chunk sizes vary per chunking (1 up to `maxChunk`), and some
 * chunkings use single characters, so every boundary gets split somewhere.
 */
export function randomChunks(text: string, random: () => number, maxChunk = 24): string[] {
  const limit = random() < 0.1 ? 1 : 1 + Math.floor(random() * maxChunk);
  const chunks: string[] = [];
  let position = 0;
  while (position < text.length) {
    const size = 1 + Math.floor(random() * limit);
    chunks.push(text.slice(position, position + size));
    position += size;
  }
  return chunks;
}
