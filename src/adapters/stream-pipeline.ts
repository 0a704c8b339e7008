/**
 * Composes the output side of an adapter chain over a stream. Stage i's output feeds stage i+1.
 * Adapters with a stream transformer adapt chunk by chunk; the first adapter that has only
 * `transformOutput` turns the rest of the chain into an end-of-stream step: from that stage on the
 * text is buffered and released, fully adapted, by `flush`. That is what keeps a stream and a plain
 * call of the same chain producing the same text.
 */
import type { ActiveAdapter, AdapterContext, StreamPipeline, StreamTransformer } from './adapter.js';
import { AdapterError } from '../core/errors.js';
import { callAsyncHook, callHook, expectText } from './adapter-guard.js';

/**
 * Apply one adapter to a whole text: `transformOutput` when it has one, otherwise its stream
 * transformer fed the text in one piece; adapters with neither return the text unchanged.
 */
export async function applyToWholeText(entry: ActiveAdapter, text: string, context: AdapterContext): Promise<string> {
  const { name, adapter } = entry;
  if (adapter.transformOutput) {
    const out = await callAsyncHook(name, 'transformOutput', () => adapter.transformOutput!(text, context));
    return expectText(name, 'transformOutput', out);
  }
  if (adapter.createStreamTransformer) {
    const transformer = createTransformer(entry, context);
    const head = expectText(name, 'push', callHook(name, 'push', () => transformer.push(text)));
    return head + expectText(name, 'flush', callHook(name, 'flush', () => transformer.flush()));
  }
  return text;
}

function createTransformer(entry: ActiveAdapter, context: AdapterContext): StreamTransformer {
  const transformer = callHook(entry.name, 'createStreamTransformer', () => entry.adapter.createStreamTransformer!(context));
  if (typeof transformer !== 'object' || transformer === null || typeof transformer.push !== 'function' || typeof transformer.flush !== 'function') {
    throw new AdapterError(entry.name, 'createStreamTransformer must return an object with push(delta) and flush()');
  }
  return transformer;
}

interface StreamingStage {
  readonly name: string;
  readonly transformer: StreamTransformer;
}

/** The stream side of an AdapterChain; build it with `chain.createStreamPipeline(context)`. */
export class AdapterStreamPipeline implements StreamPipeline {
  /** Stages before the first whole-text-only adapter (chunk by chunk, or pass-through). */
  private readonly streaming: StreamingStage[] = [];
  /** The first whole-text-only adapter and every adapter after it: applied at flush. */
  private readonly wholeText: ActiveAdapter[];
  /** Input of the first whole-text stage, gathered until flush. */
  private held = '';
  private anyDone = false;
  private finished = false;

  constructor(entries: readonly ActiveAdapter[], private readonly context: AdapterContext) {
    let firstWhole = entries.length;
    for (let i = 0; i < entries.length; i++) {
      const { adapter } = entries[i]!;
      if (adapter.createStreamTransformer) this.streaming.push({ name: entries[i]!.name, transformer: createTransformer(entries[i]!, context) });
      else if (adapter.transformOutput) {
        firstWhole = i;
        break;
      }
    }
    this.wholeText = entries.slice(firstWhole);
  }

  /** True once a stage reported `done`: the caller should stop reading upstream and flush. */
  get stopped(): boolean {
    return this.anyDone;
  }

  /** Feed one upstream delta; returns what may be sent now ('' while stages hold text back). */
  push(delta: string): string {
    if (this.finished || delta === '') return '';
    let text = delta;
    for (const stage of this.streaming) {
      text = expectText(stage.name, 'push', callHook(stage.name, 'push', () => stage.transformer.push(text)));
      if (!this.anyDone && this.isDone(stage)) this.anyDone = true;
      if (text === '') return '';
    }
    if (this.wholeText.length > 0) {
      this.held += text;
      return '';
    }
    return text;
  }

  /** Flush every stage in order (each stage's flushed text feeds the next), then run the whole-text stages. */
  async flush(): Promise<string> {
    if (this.finished) return '';
    this.finished = true;
    let carry = '';
    for (const stage of this.streaming) {
      const pushed = carry === '' ? '' : expectText(stage.name, 'push', callHook(stage.name, 'push', () => stage.transformer.push(carry)));
      carry = pushed + expectText(stage.name, 'flush', callHook(stage.name, 'flush', () => stage.transformer.flush()));
    }
    if (this.wholeText.length === 0) return carry;
    let text = this.held + carry;
    this.held = '';
    for (const entry of this.wholeText) text = await applyToWholeText(entry, text, this.context);
    return text;
  }

  private isDone(stage: StreamingStage): boolean {
    return callHook(stage.name, 'done', () => stage.transformer.done === true);
  }
}
