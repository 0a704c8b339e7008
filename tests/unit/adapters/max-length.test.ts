import { describe, expect, it } from '@jest/globals';
import { AdapterManager } from '../../../src/adapters/adapter-manager.js';
import { MaxLengthAdapter } from '../../../src/adapters/builtin/max-length.js';
import { randomChunks, seededRandom } from './chunking.js';

const context = { metadata: {}, model: 'openai:gpt-4o-mini' };

function randomText(random: () => number, length: number): string {
  const words = ['a', 'to', 'the', 'stream', 'adapter', 'boundary', 'supercalifragilistic', 'x'.repeat(40), '😀', 'end.'];
  let text = '';
  while (text.length < length) text += words[Math.floor(random() * words.length)] + (random() < 0.15 ? '\n' : ' ');
  return text.slice(0, length);
}

describe('max-length', () => {
  it('leaves short text alone and cuts long text on a word boundary', () => {
    const adapter = new MaxLengthAdapter({ maxChars: 20 });
    expect(adapter.transformOutput('short enough')).toBe('short enough');
    expect(adapter.transformOutput('exactly twenty chars')).toBe('exactly twenty chars');
    expect(adapter.transformOutput('The quick brown fox jumps over the lazy dog')).toBe('The quick brown fox');
    expect(adapter.transformOutput('The quick brown foxes jump')).toBe('The quick brown');
  });

  it('cuts hard when the last part has no boundary, and never splits an emoji', () => {
    expect(new MaxLengthAdapter({ maxChars: 10 }).transformOutput('abcdefghijklmnop')).toBe('abcdefghij');
    expect(new MaxLengthAdapter({ maxChars: 5 }).transformOutput('abcd😀efg')).toBe('abcd');
    expect(new MaxLengthAdapter({ maxChars: 1 }).transformOutput('hello')).toBe('h');
  });

  it('gives the same text on streams, never longer than maxChars, under 500 random chunkings', () => {
    const random = seededRandom(99);
    for (let round = 0; round < 500; round++) {
      const maxChars = 1 + Math.floor(random() * 300);
      const text = randomText(random, Math.floor(random() * 2 * maxChars) + 1);
      const adapter = new MaxLengthAdapter({ maxChars });
      const stream = adapter.createStreamTransformer();
      let output = '';
      let pushedAfterDone = 0;
      for (const chunk of randomChunks(text, random, 30)) {
        if (stream.done) pushedAfterDone++;
        output += stream.push(chunk);
        expect(output.length).toBeLessThanOrEqual(maxChars);
      }
      const doneBeforeFlush = stream.done === true;
      output += stream.flush();
      expect(output).toBe(adapter.transformOutput(text));
      expect(output.length).toBeLessThanOrEqual(maxChars);
      expect(doneBeforeFlush).toBe(text.length > maxChars);
      if (text.length <= maxChars) expect(pushedAfterDone).toBe(0);
    }
  });

  it('stops the pipeline once the limit is out: stopped, and later input is ignored', async () => {
    const manager = new AdapterManager();
    manager.activateForBot('short', 'max-length', { maxChars: 12 });
    const pipeline = manager.chainFor({ bot: 'short' }).createStreamPipeline(context);
    let output = pipeline.push('Hello there ');
    expect(pipeline.stopped).toBe(false);
    output += pipeline.push('general Kenobi, you are a bold one');
    expect(pipeline.stopped).toBe(true);
    output += pipeline.push('more text that must not appear');
    output += await pipeline.flush();
    expect(output).toBe('Hello there');
  });

  it('rejects maxChars that is not a positive whole number', () => {
    for (const bad of [0, -3, 1.5, '100', undefined, Number.POSITIVE_INFINITY]) {
      expect(() => new MaxLengthAdapter({ maxChars: bad })).toThrow(/max-length: options.maxChars must be a whole number >= 1/);
    }
    expect(() => new MaxLengthAdapter({ maxChars: 5, max: 3 })).toThrow(/unknown option "max"; its options are maxChars/);
  });
});
