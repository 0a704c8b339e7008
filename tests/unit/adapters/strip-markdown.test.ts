import { describe, expect, it } from '@jest/globals';
import { StripMarkdownAdapter } from '../../../src/adapters/builtin/strip-markdown.js';
import { randomChunks, seededRandom } from './chunking.js';

const MARKDOWN = [
  '# Release notes ##',
  '',
  'Some **bold**, __strong__, *italic*, _also italic_ and ~~gone~~ text; snake_case_name stays, 2 * 3 * 4 too.',
  '> Quoted *line*',
  '> > nested quote',
  '- item one',
  '* item two with `inline **code**`',
  '  1. nested [link](https://example.com/a_(b)) and ![alt text](img.png)',
  '- [x] done task',
  '---',
  'See <https://example.com> or [the docs][docs]. Escaped \\*star\\* and \\_under\\_.',
  '| Name | Age |',
  '|:-----|----:|',
  '| Ann  | 31  |',
  '```ts',
  'const x = **not bold**; // # not a heading',
  '```',
  'Setext heading',
  '==============',
  'Last line without newline',
].join('\n');

const PLAIN = [
  'Release notes',
  '',
  'Some bold, strong, italic, also italic and gone text; snake_case_name stays, 2 * 3 * 4 too.',
  'Quoted line',
  'nested quote',
  'item one',
  'item two with inline **code**',
  '  nested link and alt text',
  'done task',
  '',
  'See https://example.com or the docs. Escaped *star* and _under_.',
  'Name  Age',
  'Ann  31',
  'const x = **not bold**; // # not a heading',
  'Setext heading',
  'Last line without newline',
].join('\n');

describe('strip-markdown', () => {
  const adapter = new StripMarkdownAdapter();

  it('turns Markdown into plain text', () => {
    expect(adapter.transformOutput(MARKDOWN)).toBe(PLAIN);
    expect(adapter.transformOutput('plain text, nothing to do')).toBe('plain text, nothing to do');
  });

  it('keeps Windows line ends', () => {
    expect(adapter.transformOutput('# Title\r\n- item\r\n')).toBe('Title\r\nitem\r\n');
  });

  it('gives the same text on streams, releasing each line when it is complete', () => {
    const random = seededRandom(3);
    for (let round = 0; round < 200; round++) {
      const stream = adapter.createStreamTransformer();
      let output = '';
      for (const chunk of randomChunks(MARKDOWN, random)) output += stream.push(chunk);
      expect(output + stream.flush()).toBe(PLAIN);
    }
    const stream = adapter.createStreamTransformer();
    expect(stream.push('# Title\nsecond **li')).toBe('Title\n');
    expect(stream.push('ne**')).toBe('');
    expect(stream.flush()).toBe('second line');
  });

  it('does not rescan the held line on every delta: a long line in tiny deltas stays linear', () => {
    const stream = adapter.createStreamTransformer();
    const started = performance.now();
    let output = '';
    // 100,000 deltas of one 185,000-character line: rescanning it per delta took about 8 s here.
    for (let i = 0; i < 100_000; i++) output += stream.push(i % 7 === 0 ? ' ' : 'ab');
    output += stream.flush();
    expect(output.length).toBe(185_714);
    // Generous: linear work takes tens of milliseconds.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(stream.push('x\n# y\nz')).toBe('x\ny\n');
  });

  it('takes no options', () => {
    expect(() => new StripMarkdownAdapter({ keepLinks: true })).toThrow(/strip-markdown: unknown option "keepLinks"; it takes no options/);
  });
});
