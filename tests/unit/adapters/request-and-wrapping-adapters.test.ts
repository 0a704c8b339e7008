import { describe, expect, it } from '@jest/globals';
import { PrefixSuffixAdapter } from '../../../src/adapters/builtin/prefix-suffix.js';
import { SystemPromptAdapter } from '../../../src/adapters/builtin/system-prompt.js';
import type { ChatRequest } from '../../../src/core/types.js';


function request(messages: ChatRequest['messages']): ChatRequest {
  return { messages, params: { temperature: 0.2 }, operation: 'chat' };
}

describe('system-prompt', () => {
  it('prepends to the first system message, or adds one', () => {
    const adapter = new SystemPromptAdapter({ text: 'Answer in French.' });
    expect(adapter.transformRequest(request([{ role: 'user', content: 'hi' }])).messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'hi' },
    ]);
    const withSystem = request([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }]);
    const out = adapter.transformRequest(withSystem);
    expect(out.messages).toEqual([{ role: 'system', content: 'Answer in French.\n\nBe brief.' }, { role: 'user', content: 'hi' }]);
    expect(withSystem.messages[0]!.content).toBe('Be brief.');
    expect(out.params).toEqual({ temperature: 0.2 });
  });

  it('replaces every system message in replace mode', () => {
    const adapter = new SystemPromptAdapter({ text: 'Only this.', mode: 'replace' });
    const out = adapter.transformRequest(request([{ role: 'system', content: 'old' }, { role: 'user', content: 'q' }, { role: 'system', content: 'late' }]));
    expect(out.messages).toEqual([{ role: 'system', content: 'Only this.' }, { role: 'user', content: 'q' }]);
  });

  it('changes the request, with a cache key that follows its options', () => {
    const a = new SystemPromptAdapter({ text: 'A' });
    expect(a.changesRequest).toBe(true);
    expect(a.cacheKey).toBe(new SystemPromptAdapter({ text: 'A', mode: 'prepend' }).cacheKey);
    expect(a.cacheKey).not.toBe(new SystemPromptAdapter({ text: 'B' }).cacheKey);
    expect(a.cacheKey).not.toBe(new SystemPromptAdapter({ text: 'A', mode: 'replace' }).cacheKey);
  });

  it('rejects bad options', () => {
    expect(() => new SystemPromptAdapter({})).toThrow(/system-prompt: options.text must be a non-empty string/);
    expect(() => new SystemPromptAdapter({ text: 'x', mode: 'append' })).toThrow(/options.mode must be "prepend" or "replace"/);
    expect(() => new SystemPromptAdapter({ text: 7 })).toThrow(/options.text must be a string/);
  });
});

describe('prefix-suffix', () => {
  it('joins exactly as given, on whole texts and streams', () => {
    const adapter = new PrefixSuffixAdapter({ prefix: '[bot] ', suffix: '\n-- end' });
    expect(adapter.transformOutput('hello')).toBe('[bot] hello\n-- end');
    const stream = adapter.createStreamTransformer();
    expect(stream.push('hel')).toBe('[bot] hel');
    expect(stream.push('lo')).toBe('lo');
    expect(stream.flush()).toBe('\n-- end');
    expect(stream.flush()).toBe('');
  });

  it('wraps an empty stream too, as it wraps an empty text', () => {
    const adapter = new PrefixSuffixAdapter({ prefix: '<', suffix: '>' });
    expect(adapter.createStreamTransformer().flush()).toBe(adapter.transformOutput(''));
    expect(new PrefixSuffixAdapter({ suffix: '!' }).transformOutput('hi')).toBe('hi!');
  });

  it('needs a prefix or a suffix, as strings', () => {
    expect(() => new PrefixSuffixAdapter({})).toThrow(/prefix-suffix: give options.prefix or options.suffix/);
    expect(() => new PrefixSuffixAdapter({ prefix: 1 })).toThrow(/options.prefix must be a string \(got number\)/);
    expect(() => new PrefixSuffixAdapter({ prefx: 'a' })).toThrow(/unknown option "prefx"; its options are prefix, suffix/);
  });
});
