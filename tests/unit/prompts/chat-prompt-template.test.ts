import { describe, expect, it } from '@jest/globals';
import { ChatPromptTemplate, InvalidRequestError, MAX_RENDERED_CHARS, MAX_TEMPLATE_MESSAGES } from '../../../src/index.js';

function refusal(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    return error as InvalidRequestError;
  }
  throw new Error('expected an InvalidRequestError');
}

describe('ChatPromptTemplate', () => {
  it('renders every message and lists the variables across messages', () => {
    const ct = new ChatPromptTemplate([
      { role: 'system', content: 'You teach {subject}. Reply as {"answer": "..."}.' },
      { role: 'user', content: '{question}' },
      { role: 'assistant', content: 'Noted: {question} ({subject})' },
      { role: 'user', content: 'And {{literally}} this?' },
    ]);
    expect(ct.variables).toEqual(['subject', 'question']);
    expect(ct.formatMessages({ subject: 'maths', question: 'What is 2+2?' })).toEqual([
      { role: 'system', content: 'You teach maths. Reply as {"answer": "..."}.' },
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: 'Noted: What is 2+2? (maths)' },
      { role: 'user', content: 'And {literally} this?' },
    ]);
  });

  it('keeps frozen copies of its messages: editing the input changes nothing', () => {
    const input = [{ role: 'user' as const, content: 'Hi {name}' }];
    const ct = new ChatPromptTemplate(input);
    input[0]!.content = 'changed {other}';
    expect(ct.formatMessages({ name: 'Ada' })).toEqual([{ role: 'user', content: 'Hi Ada' }]);
    expect(Object.isFrozen(ct.messages[0])).toBe(true);
  });

  it('names every variable missing across messages, and a bad value by name only', () => {
    const ct = new ChatPromptTemplate([
      { role: 'system', content: '{a}' },
      { role: 'user', content: '{b} {c}' },
    ]);
    expect(refusal(() => ct.formatMessages({ b: 'x' })).message).toBe('ChatPromptTemplate.formatMessages: no value for the variables "a", "c"');
    const bad = refusal(() => ct.formatMessages({ a: 'x', b: ['sk-live-123456789'], c: 'z' }));
    expect(bad.message).toBe('ChatPromptTemplate.formatMessages: the variable "b" must be a string or a finite number, not an array');
  });

  it('refuses malformed messages, naming the message and field', () => {
    expect(refusal(() => new ChatPromptTemplate([])).message).toMatch(/non-empty array/);
    expect(refusal(() => new ChatPromptTemplate('hi' as never)).message).toMatch(/non-empty array/);
    expect(refusal(() => new ChatPromptTemplate([{ role: 'tool', content: 'x' }] as never)).message).toBe('ChatPromptTemplate messages[0].role must be "system", "user" or "assistant"');
    expect(refusal(() => new ChatPromptTemplate([{ role: 'user', content: 'ok' }, { role: 'user', content: [{ type: 'text', text: 'x' }] }] as never)).message).toBe(
      'ChatPromptTemplate messages[1].content must be template text (a string)',
    );
    expect(refusal(() => new ChatPromptTemplate([{ role: 'user', content: 'x', name: 'n' }] as never)).message).toMatch(/messages\[0\] has an unknown field "name"/);
    expect(refusal(() => new ChatPromptTemplate([null] as never)).message).toMatch(/messages\[0\] must be an object/);
  });

  it('bounds the number of messages and the rendered conversation', () => {
    const many = Array.from({ length: MAX_TEMPLATE_MESSAGES + 1 }, () => ({ role: 'user' as const, content: 'x' }));
    expect(refusal(() => new ChatPromptTemplate(many)).message).toMatch(/at most 500 messages/);
    expect(new ChatPromptTemplate(many.slice(1)).formatMessages({})).toHaveLength(MAX_TEMPLATE_MESSAGES);
    const half = 'h'.repeat(MAX_RENDERED_CHARS / 2);
    const ct = new ChatPromptTemplate([
      { role: 'system', content: '{a}' },
      { role: 'user', content: '{a}!' },
    ]);
    expect(refusal(() => ct.formatMessages({ a: half })).message).toMatch(/rendered messages are longer than 2000000 characters/);
    expect(ct.formatMessages({ a: half.slice(1) })[1]!.content).toHaveLength(half.length);
  });
});
