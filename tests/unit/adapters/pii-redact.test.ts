import { describe, expect, it } from '@jest/globals';
import { PiiRedactAdapter, PII_MAX_HOLD_BACK, passesLuhn } from '../../../src/adapters/builtin/pii-redact.js';
import { randomChunks, seededRandom } from './chunking.js';

/** Secrets with what each must become; the text is built from these and plain prose between them. */
const SECRETS: Array<[string, string]> = [
  ['jane.doe+support@example.co.uk', '[EMAIL]'],
  ['ops@mail.example.com', '[EMAIL]'],
  ['john_smith@example.org', '[EMAIL]'],
  ['+1 (415) 555-0132', '[PHONE]'],
  ['+44 20 7946 0958', '[PHONE]'],
  ['(212) 555-0199', '[PHONE]'],
  ['415-555-0132', '[PHONE]'],
  ['020 7946 0958', '[PHONE]'],
  ['4111 1111 1111 1111', '[CARD]'],
  ['5500-0000-0000-0004', '[CARD]'],
  ['378282246310005', '[CARD]'],
  ['sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789', '[API_KEY]'],
  ['sk-ant-api03-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210', '[API_KEY]'],
  ['hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345', '[API_KEY]'],
  ['AKIAIOSFODNN7EXAMPLE', '[API_KEY]'],
  [`sk-proj-${'Q7xZ_b3-Lm9'.repeat(12)}`, '[API_KEY]'],
];

/** Text that must come out unchanged: Luhn-invalid numbers, years, amounts, versions, prose. */
const PLAIN = [
  'Hello there, thanks for writing in about your order.',
  'The number 4111 1111 1111 1112 fails the Luhn check and stays.',
  'In 2024 we shipped 3 releases; version 1.2.3 costs 12.50 dollars, see page 42.',
  'Meeting at 10:30 on 2024-05-17, room 101.',
  'A bear ate the bees while the skier asked for help (again).',
  'Order 1234-5678 and ticket 98765 are open; call back any time!',
];

function buildText(random: () => number): { text: string; expected: string } {
  let text = '';
  let expected = '';
  for (let i = 0; i < SECRETS.length; i++) {
    const plain = PLAIN[i % PLAIN.length]!;
    const [secret, replacement] = SECRETS[i]!;
    const joiner = random() < 0.5 ? ' ' : '\n';
    text += `${plain}${joiner}Reach it at ${secret}, please.${joiner}`;
    expected += `${plain}${joiner}Reach it at ${replacement}, please.${joiner}`;
  }
  text += 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and done. ' + PLAIN.join(' ');
  expected += 'Authorization: Bearer [API_KEY] and done. ' + PLAIN.join(' ');
  return { text, expected };
}

function runStream(adapter: PiiRedactAdapter, chunks: string[]): { output: string; maxHeld: number } {
  const stream = adapter.createStreamTransformer();
  let output = '';
  let maxHeld = 0;
  for (const chunk of chunks) {
    output += stream.push(chunk);
    maxHeld = Math.max(maxHeld, stream.held);
  }
  return { output: output + stream.flush(), maxHeld };
}

describe('pii-redact', () => {
  const adapter = new PiiRedactAdapter();

  it('checks Luhn', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('378282246310005')).toBe(true);
  });

  it('redacts every secret and leaves everything else as it was', () => {
    const { text, expected } = buildText(seededRandom(1));
    expect(adapter.transformOutput(text)).toBe(expected);
    for (const [secret] of SECRETS) expect(adapter.transformOutput(text)).not.toContain(secret);
    expect(adapter.transformOutput(PLAIN.join('\n'))).toBe(PLAIN.join('\n'));
  });

  it('gives the same text on streams as on whole texts under 600 random chunkings', () => {
    const random = seededRandom(20261122);
    let worstHeld = 0;
    for (let round = 0; round < 600; round++) {
      const { text, expected } = buildText(random);
      const chunks = randomChunks(text, random);
      const { output, maxHeld } = runStream(adapter, chunks);
      if (output !== expected) throw new Error(`chunking ${round} differs:\n${JSON.stringify(chunks)}\n${output}`);
      worstHeld = Math.max(worstHeld, maxHeld);
    }
    expect(worstHeld).toBeLessThanOrEqual(PII_MAX_HOLD_BACK);
  });

  it('holds back little on ordinary prose: the current word, nothing more', () => {
    const prose = 'The quick brown fox jumps over the lazy dog, twice; then it rests. '.repeat(20);
    const stream = adapter.createStreamTransformer();
    let output = '';
    let maxHeld = 0;
    for (const char of prose) {
      output += stream.push(char);
      maxHeld = Math.max(maxHeld, stream.held);
    }
    expect(output + stream.flush()).toBe(prose);
    expect(maxHeld).toBeLessThanOrEqual('jumps,'.length);
  });

  it('keeps one character of context across pushes, as lookbehinds need', () => {
    // After "@" a number may not start; a stream cut right after "@" must still know that.
    const text = `${'a'.repeat(70)}@415-555-0132 and more`;
    const stream = adapter.createStreamTransformer();
    const output = stream.push(text.slice(0, 71)) + stream.push(text.slice(71)) + stream.flush();
    expect(output).toBe(adapter.transformOutput(text));
    expect(output).toBe(text);
  });

  it('redacts a secret split at every possible position', () => {
    for (const [secret, replacement] of SECRETS) {
      const text = `before ${secret} after`;
      for (let cut = 1; cut < text.length; cut++) {
        const { output } = runStream(adapter, [text.slice(0, cut), text.slice(cut)]);
        expect(output).toBe(`before ${replacement} after`);
      }
    }
  });

  it('redacts only the kinds asked for, with the replacement given', () => {
    const text = 'Mail a@b.io, call +44 20 7946 0958, pay 4111111111111111, key sk-AbCdEfGhIjKlMnOpQrStUv01';
    const onlyMail = new PiiRedactAdapter({ kinds: ['email'], replacement: '***' });
    expect(onlyMail.transformOutput(text)).toBe('Mail ***, call +44 20 7946 0958, pay 4111111111111111, key sk-AbCdEfGhIjKlMnOpQrStUv01');
    const labelled = new PiiRedactAdapter({ replacement: (kind: string) => `<${kind}>` });
    expect(labelled.transformOutput(text)).toBe('Mail <email>, call <phone>, pay <card>, key <apiKey>');
    const cardsOnly = new PiiRedactAdapter({ kinds: ['card'] });
    expect(cardsOnly.transformOutput(text)).toBe('Mail a@b.io, call +44 20 7946 0958, pay [CARD], key sk-AbCdEfGhIjKlMnOpQrStUv01');
  });

  it('splits runs of number groups: a card followed by a year, two phones in a row', () => {
    expect(adapter.transformOutput('4111 1111 1111 1111 2025')).toBe('[CARD] 2025');
    expect(adapter.transformOutput('415-555-0132 212-555-0199')).toBe('[PHONE] [PHONE]');
    expect(adapter.transformOutput('1999 2000 2001 and 3.14159265358979')).toBe('1999 2000 2001 and 3.14159265358979');
  });

  it('rejects bad options, saying what to change', () => {
    expect(() => new PiiRedactAdapter({ kinds: ['mail'] })).toThrow(/pii-redact: options.kinds must be a non-empty list of "email", "phone", "card", "apiKey"/);
    expect(() => new PiiRedactAdapter({ kinds: [] })).toThrow(/options.kinds/);
    expect(() => new PiiRedactAdapter({ replacement: 5 })).toThrow(/options.replacement must be a string/);
    expect(() => new PiiRedactAdapter({ kind: ['email'] })).toThrow(/unknown option "kind"; its options are replacement, kinds/);
  });

  it('matches whole-text redaction on random pattern-dense text, holding back a bounded tail', () => {
    const random = seededRandom(7);
    const pieces = ['4111', '1111', '5', '0', ' ', '-', '.', '(', ')', '+', '@', 'sk-', 'hf_', 'AKIA', 'Bearer ', 'x', 'Q', '_', 'mail', '.com', ',', '\n', '%', 'AbCdEfGh'];
    let worstHeld = 0;
    for (let round = 0; round < 300; round++) {
      let text = '';
      while (text.length < 400) text += pieces[Math.floor(random() * pieces.length)];
      const { output, maxHeld } = runStream(adapter, randomChunks(text, random, 40));
      if (output !== adapter.transformOutput(text)) throw new Error(`round ${round} differs for ${JSON.stringify(text)}`);
      worstHeld = Math.max(worstHeld, maxHeld);
    }
    for (const long of ['a'.repeat(3000), '1 '.repeat(1500), `Bearer ${'t'.repeat(3000)}`, `${'u'.repeat(60)}@${'d'.repeat(3000)}`]) {
      const { output, maxHeld } = runStream(adapter, randomChunks(long, random, 7));
      expect(output).toBe(adapter.transformOutput(long));
      worstHeld = Math.max(worstHeld, maxHeld);
    }
    expect(worstHeld).toBeLessThanOrEqual(PII_MAX_HOLD_BACK);
    expect(worstHeld).toBeGreaterThan(100);
  });
});
