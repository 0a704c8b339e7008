/**
 * The vectors FakeProvider embeds with: deterministic, so a test can compute the vector a text must get
 * (`fakeEmbedding('hello')`) and check order, batching and caching without a model.
 */

/** Numbers in a FakeProvider embedding when the call asks for no `dimensions`. */
export const FAKE_EMBED_DIMENSIONS = 8;

/**
 * A unit vector of `dimensions` numbers for `text`: the same text always gives the same vector, and
 * different texts (almost always) different ones. FNV-1a of the text seeds a xorshift sequence.
 */
export function fakeEmbedding(text: string, dimensions = FAKE_EMBED_DIMENSIONS): number[] {
  let state = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) state = Math.imul(state ^ text.charCodeAt(i), 0x01000193) >>> 0;
  // xorshift32 never leaves 0: a text hashing to 0 starts from a fixed non-zero state instead.
  if (state === 0) state = 0x9e3779b9;
  const vector: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const value = state / 0xffffffff - 0.5;
    vector.push(value);
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  return vector.map((value) => value * scale);
}
