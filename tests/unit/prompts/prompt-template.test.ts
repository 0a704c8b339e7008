import { describe, expect, it } from '@jest/globals';
import { InvalidRequestError, MAX_RENDERED_CHARS, MAX_TEMPLATE_CHARS, PromptTemplate } from '../../../src/index.js';
import { parseTemplate } from '../../../src/prompts/prompt-template.js';

/** The InvalidRequestError `run` throws (fails the test when it throws nothing or something else). */
function refusal(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    return error as InvalidRequestError;
  }
  throw new Error('expected an InvalidRequestError');
}

describe('PromptTemplate', () => {
  it('lists variables once each, in order of first appearance, and fills them in', () => {
    const t = new PromptTemplate('Explain {concept} to {audience}. Again: {concept}, for {audience}!');
    expect(t.variables).toEqual(['concept', 'audience']);
    expect(t.format({ concept: 'RAG', audience: 'a beginner' })).toBe('Explain RAG to a beginner. Again: RAG, for a beginner!');
    expect(t.template).toBe('Explain {concept} to {audience}. Again: {concept}, for {audience}!');
    expect(String(t)).toBe(t.template);
  });

  it('renders numbers as JavaScript writes them and ignores values it does not use', () => {
    const t = new PromptTemplate('{n} items at {price} each');
    expect(t.format({ n: 3, price: 0.5, unused: { nested: true } })).toBe('3 items at 0.5 each');
  });

  it('keeps a template without variables exactly as written', () => {
    const text = 'Plain text, no braces at all.';
    expect(new PromptTemplate(text).variables).toEqual([]);
    expect(new PromptTemplate(text).format({})).toBe(text);
    expect(new PromptTemplate('').format({})).toBe('');
  });

  it('leaves JSON braces as written, nested objects included', () => {
    const json = 'Answer as {"name": "...", "address": {"city": "...", "tags": [{"k": 1}]}} about {topic}.';
    const t = new PromptTemplate(json);
    expect(t.variables).toEqual(['topic']);
    expect(t.format({ topic: 'Paris' })).toBe('Answer as {"name": "...", "address": {"city": "...", "tags": [{"k": 1}]}} about Paris.');
    // Not identifiers: spaces, dots, dashes, leading digits, empty braces.
    const other = new PromptTemplate('{ name } {a.b} {a-b} {1x} {} {x y} }{ {');
    expect(other.variables).toEqual([]);
    expect(other.format({ name: 'no', a: 'no' })).toBe('{ name } {a.b} {a-b} {1x} {} {x y} }{ {');
  });

  it('escapes braces with {{ and }}', () => {
    expect(new PromptTemplate('{{name}} is literal, {name} is not').format({ name: 'Ada' })).toBe('{name} is literal, Ada is not');
    expect(new PromptTemplate('{{{name}}}').format({ name: 'Ada' })).toBe('{Ada}');
    expect(new PromptTemplate('{{"a": {{"b": 1}}}}').format({})).toBe('{"a": {"b": 1}}');
    // An escaped outer object around a plain inner one: `}}` closes the escape, the last `}` is the inner one's.
    expect(new PromptTemplate('{{"a": {"b": {x}}}}').format({ x: 2 })).toBe('{"a": {"b": 2}}');
    // `}}` that closes no `{{` is the end of nested JSON: as written.
    expect(new PromptTemplate('{"a": {"b": 1}} and {{x}}').format({})).toBe('{"a": {"b": 1}} and {x}');
    expect(new PromptTemplate('{{x}}').variables).toEqual([]);
  });

  it('parses into literal and variable pieces once', () => {
    expect(parseTemplate('a {x} b {{ {y}}} c')).toEqual({
      pieces: [{ literal: 'a ' }, { variable: 'x' }, { literal: ' b { ' }, { variable: 'y' }, { literal: '} c' }],
      variables: ['x', 'y'],
    });
  });

  it('names every missing variable, and only those', () => {
    const t = new PromptTemplate('{a} {b} {c}');
    const error = refusal(() => t.format({ b: 'here' }));
    expect(error.message).toMatch(/no value for the variables "a", "c"$/);
    expect(error.code).toBe('invalid_request');
    expect(refusal(() => t.format({ a: 'x', b: 'y' })).message).toMatch(/no value for the variable "c"$/);
  });

  it('refuses values that are not strings or finite numbers, naming the variable and never the value', () => {
    const t = new PromptTemplate('Hello {name}');
    const cases: Array<[unknown, string]> = [
      [{ secret: 'sk-live-abcdef123456' }, 'an object'],
      [['sk-live-abcdef123456'], 'an array'],
      [null, 'null'],
      [undefined, 'an undefined'],
      [true, 'a boolean'],
      [Number.NaN, 'a number that is not finite'],
      [Number.POSITIVE_INFINITY, 'a number that is not finite'],
      [10n, 'a bigint'],
      [() => 'sk-live-abcdef123456', 'a function'],
      [Symbol('sk-live'), 'a symbol'],
    ];
    for (const [value, kind] of cases) {
      const error = refusal(() => t.format({ name: value }));
      expect(error.message).toBe(`PromptTemplate.format: the variable "name" must be a string or a finite number, not ${kind}`);
      expect(error.message).not.toContain('sk-live');
    }
    expect(refusal(() => t.format(null as never)).message).toMatch(/takes an object of variables/);
    expect(refusal(() => t.format(['x'] as never)).message).toMatch(/takes an object of variables/);
  });

  it('evaluates nothing: prototype names are plain own-property look-ups, ${x} is a dollar sign and a variable', () => {
    const t = new PromptTemplate('{constructor} {__proto__} {toString} {hasOwnProperty}');
    expect(t.variables).toEqual(['constructor', '__proto__', 'toString', 'hasOwnProperty']);
    // Inherited members are not values: every one is missing from a plain {}.
    expect(refusal(() => t.format({})).message).toMatch(/"constructor", "__proto__", "toString", "hasOwnProperty"$/);
    const own = JSON.parse('{"constructor": "c", "__proto__": "p", "toString": "t", "hasOwnProperty": "h"}') as Record<string, unknown>;
    expect(t.format(own)).toBe('c p t h');
    const inherited = Object.create({ constructor: 'from the prototype' }) as Record<string, unknown>;
    expect(refusal(() => new PromptTemplate('{constructor}').format(inherited)).message).toMatch(/no value for the variable "constructor"/);

    const dollar = new PromptTemplate('cost: ${x} and `${process.exit(1)}` and {a.b} and {x + 1}');
    expect(dollar.variables).toEqual(['x']);
    expect(dollar.format({ x: 5 })).toBe('cost: $5 and `${process.exit(1)}` and {a.b} and {x + 1}');
    // A value that looks like a template is inserted as text, never parsed again.
    expect(new PromptTemplate('{a}').format({ a: '{b} ${b} {{b}}' })).toBe('{b} ${b} {{b}}');
  });

  it('bounds the template and the rendered text', () => {
    expect(new PromptTemplate('x'.repeat(MAX_TEMPLATE_CHARS)).template.length).toBe(MAX_TEMPLATE_CHARS);
    expect(refusal(() => new PromptTemplate('x'.repeat(MAX_TEMPLATE_CHARS + 1))).message).toMatch(/longer than 200000 characters/);
    expect(refusal(() => new PromptTemplate(42 as never)).message).toMatch(/as a string/);
    const t = new PromptTemplate('{a}{a}{a}');
    const third = 'y'.repeat(Math.floor(MAX_RENDERED_CHARS / 3));
    expect(t.format({ a: third }).length).toBe(third.length * 3);
    expect(refusal(() => t.format({ a: `${third}yy` })).message).toMatch(/rendered text is longer than 2000000 characters/);
  });
});
