/** Seeded randomness for chunking tests: the same seed gives the same chunkings on every run. */
import { seededRandom } from '../../helpers/seeded-random.js';
export { seededRandom };


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
