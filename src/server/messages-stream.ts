/**
 * The content blocks of one streamed Messages answer: the switchboard's stream parts -> Anthropic's
 * `content_block_start` / `content_block_delta` / `content_block_stop` events, each with its block
 * `index`, one block open at a time as Anthropic streams them:
 * - reasoning deltas -> a `thinking` block (`thinking_delta`), text deltas -> a `text` block
 *   (`text_delta`), tool-call pieces -> a `tool_use` block (`input_json_delta` with `partial_json`),
 *   opened once the call's id and name are known;
 * - a tool block stays open until its call is complete; what arrives meanwhile (text, pieces of the
 *   next call, which some providers interleave) is held and sent, in order, once it closes, so no
 *   piece ever lands in a block that has already stopped;
 * - a `reasoning-signature` part (the provider signed the thinking just streamed: Anthropic's own
 *   `signature_delta`) goes out as the thinking block's `signature_delta`, and the block stops, in
 *   Anthropic's order; a `reasoning-redacted` part is a whole `redacted_thinking` block in its place;
 * - signatures and redacted blocks the stream did not carry (a provider that signs only its finished
 *   answer) go out when the answer finishes, a signature under its block's index even when that block
 *   has stopped (the SDK's accumulator files it under the index all the same); reasoning or tool calls
 *   a stream never carried go out whole then too.
 */
import { GatewayHttpError } from './errors.js';
import type { RichStreamPart } from './response-shapes.js';
import type { GenerateResult, ToolCall } from '../core/types.js';

type Frame = Record<string, unknown>;
type Piece = { type: 'text-delta'; text: string } | RichStreamPart;

/** One tool call of the answer, as sent so far. */
interface StreamedCall {
  /** The `index` its pieces carry (undefined for a call that only came complete). */
  part?: number;
  id?: string;
  name?: string;
  /** Argument text held until the block opens. */
  pending: string;
  /** Argument text sent in its block. */
  sent: string;
  /** Its block index, once opened. */
  block?: number;
  /** Complete: its block has stopped. */
  done: boolean;
}

/** One streamed thinking block. */
interface StreamedThinking {
  index: number;
  text: string;
  /** Its signature went out (as it streamed). */
  signed: boolean;
}

type OpenBlock = { kind: 'text'; index: number } | { kind: 'thinking'; index: number; thinking: StreamedThinking } | { kind: 'tool'; index: number; call: StreamedCall };

/**
 * Pieces held behind an open tool block at most. Providers interleave a few parallel calls; a stream
 * holding more than this is not one a client could follow.
 */
const MAX_HELD_PIECES = 10_000;

/** The block events of one stream. */
export class MessageBlocks {
  private next = 0;
  private open?: OpenBlock;
  private readonly held: Piece[] = [];
  private readonly calls: StreamedCall[] = [];
  private readonly thinking: StreamedThinking[] = [];
  /** Redacted blocks sent as they streamed. */
  private redactedSent = 0;

  /** Events for a text delta. */
  text(text: string): Frame[] {
    return this.take({ type: 'text-delta', text });
  }

  /** Events for a reasoning delta, signature or redacted block, a tool-call piece or a complete tool call. */
  rich(part: RichStreamPart): Frame[] {
    return this.take(part);
  }

  /**
   * The last block events: tool calls the stream did not complete, signatures, redacted thinking,
   * reasoning never streamed, and the stop of the open block (an answer with no block gets an empty
   * text block, as its JSON form has).
   */
  finish(result: GenerateResult): Frame[] {
    const out: Frame[] = [];
    for (const call of result.toolCalls) if (!this.calls.some((streamed) => streamed.done && streamed.id === call.id)) this.accept({ type: 'tool-call', toolCall: call }, out);
    // Pieces of a call the answer does not list: its block ends with what it has.
    while (this.held.length > 0 || this.open?.kind === 'tool') {
      if (this.open?.kind === 'tool') this.open.call.done = true;
      this.close(out);
      this.release(out);
    }
    const blocks = result.message.reasoning ?? (result.reasoning ? [{ text: result.reasoning }] : []);
    const texts = blocks.filter((block) => block.redacted === undefined);
    if (this.thinking.length === 0) {
      for (const block of texts) this.wholeThinking(block.text, block.signature, out);
    } else if (texts.length === this.thinking.length && texts.every((block, at) => block.text === this.thinking[at]!.text)) {
      texts.forEach((block, at) => {
        const streamed = this.thinking[at]!;
        if (block.signature && !streamed.signed) out.push(blockDelta(streamed.index, { type: 'signature_delta', signature: block.signature }));
      });
    }
    // Redacted blocks the stream did not carry (it carried the first `redactedSent` of them).
    for (const block of blocks.filter((candidate) => candidate.redacted !== undefined).slice(this.redactedSent)) this.redacted(block.redacted!, out);
    if (this.next === 0) this.start({ kind: 'text', index: this.next++ }, { type: 'text', text: '', citations: null }, out);
    this.close(out);
    return out;
  }

  private take(piece: Piece): Frame[] {
    const out: Frame[] = [];
    this.accept(piece, out);
    return out;
  }

  /** Apply `piece`, or hold it while a tool block it does not belong to is open. */
  private accept(piece: Piece, out: Frame[]): void {
    if (this.blocked(piece)) {
      if (this.held.length >= MAX_HELD_PIECES) throw new GatewayHttpError(502, 'The answer interleaved more tool-call pieces than a Messages stream can hold back', 'api_error', 'stream_too_interleaved');
      this.held.push(piece);
      return;
    }
    this.apply(piece, out);
    this.release(out);
  }

  /** Held pieces go out, earliest first, as soon as no open tool block stands in their way. */
  private release(out: Frame[]): void {
    for (let at = 0; at < this.held.length; ) {
      if (this.blocked(this.held[at]!)) {
        at++;
        continue;
      }
      const [piece] = this.held.splice(at, 1);
      this.apply(piece!, out);
      at = 0;
    }
  }

  private blocked(piece: Piece): boolean {
    const open = this.open;
    if (open?.kind !== 'tool') return false;
    if (piece.type === 'tool-call-delta') return this.callForPiece(piece.index) !== open.call;
    if (piece.type === 'tool-call') return this.callForComplete(piece.toolCall) !== open.call;
    return true;
  }

  private apply(piece: Piece, out: Frame[]): void {
    switch (piece.type) {
      case 'text-delta':
        if (this.open?.kind !== 'text') this.start({ kind: 'text', index: this.next++ }, { type: 'text', text: '', citations: null }, out);
        out.push(blockDelta(this.open!.index, { type: 'text_delta', text: piece.text }));
        return;
      case 'reasoning-delta': {
        if (piece.text === '') return;
        if (this.open?.kind !== 'thinking') {
          const thinking = { index: this.next++, text: '', signed: false };
          this.thinking.push(thinking);
          this.start({ kind: 'thinking', index: thinking.index, thinking }, { type: 'thinking', thinking: '', signature: '' }, out);
        }
        const open = this.open as Extract<OpenBlock, { kind: 'thinking' }>;
        open.thinking.text += piece.text;
        out.push(blockDelta(open.index, { type: 'thinking_delta', thinking: piece.text }));
        return;
      }
      case 'reasoning-signature':
        this.sign(piece.signature, out);
        return;
      case 'reasoning-redacted':
        this.redactedSent++;
        this.redacted(piece.redacted, out);
        return;
      case 'tool-call-delta': {
        const call = this.callForPiece(piece.index) ?? this.addCall({ part: piece.index, pending: '', sent: '', done: false });
        call.id ??= piece.id || undefined;
        call.name ??= piece.name || undefined;
        if (call.done) return;
        if (call.block !== undefined) this.sendArguments(call, piece.argumentsDelta, out);
        else {
          call.pending += piece.argumentsDelta;
          if (call.id !== undefined && call.name !== undefined) this.openTool(call, out);
        }
        return;
      }
      case 'tool-call': {
        const { toolCall } = piece;
        const call = this.callForComplete(toolCall) ?? this.addCall({ pending: '', sent: '', done: false });
        if (call.done) return;
        call.id = toolCall.id;
        call.name = toolCall.name;
        if (call.block === undefined) {
          call.pending = toolCall.arguments;
          this.openTool(call, out);
        } else if (toolCall.arguments.startsWith(call.sent)) {
          // The complete arguments are the streamed ones plus what never came as a piece.
          this.sendArguments(call, toolCall.arguments.slice(call.sent.length), out);
        }
        call.done = true;
        this.close(out);
      }
    }
  }

  private callForPiece(index: number): StreamedCall | undefined {
    return this.calls.find((call) => call.part === index);
  }

  /** The streamed call a complete call is: by id, else the first one still waiting for its id. */
  private callForComplete(toolCall: ToolCall): StreamedCall | undefined {
    return this.calls.find((call) => call.id === toolCall.id) ?? this.calls.find((call) => !call.done && call.block === undefined && call.id === undefined);
  }

  private addCall(call: StreamedCall): StreamedCall {
    this.calls.push(call);
    return call;
  }

  private openTool(call: StreamedCall, out: Frame[]): void {
    call.block = this.next++;
    this.start({ kind: 'tool', index: call.block, call }, { type: 'tool_use', id: call.id, name: call.name, input: {} }, out);
    const pending = call.pending;
    call.pending = '';
    this.sendArguments(call, pending, out);
  }

  private sendArguments(call: StreamedCall, text: string, out: Frame[]): void {
    if (text === '') return;
    call.sent += text;
    out.push(blockDelta(call.block!, { type: 'input_json_delta', partial_json: text }));
  }

  /**
   * A streamed signature: the open thinking block's, which then stops (Anthropic's order). With no
   * thinking block open, the last one streamed unsigned takes it, late; with none, it signs a thinking
   * block of no text (a provider may sign an empty one).
   */
  private sign(signature: string, out: Frame[]): void {
    const open = this.open?.kind === 'thinking' ? this.open.thinking : undefined;
    const target = open ?? (this.thinking.at(-1)?.signed === false ? this.thinking.at(-1) : undefined);
    if (!target) {
      this.wholeThinking('', signature, out);
      return;
    }
    target.signed = true;
    out.push(blockDelta(target.index, { type: 'signature_delta', signature }));
    if (open) this.close(out);
  }

  /** A redacted thinking block, whole. */
  private redacted(data: string, out: Frame[]): void {
    this.close(out);
    const index = this.next++;
    out.push(blockStart(index, { type: 'redacted_thinking', data }), { type: 'content_block_stop', index });
  }

  /** A whole thinking block at once (reasoning a stream never carried, or a signature with no text before it). */
  private wholeThinking(text: string, signature: string | undefined, out: Frame[]): void {
    const index = this.next++;
    const thinking = { index, text, signed: signature !== undefined && signature !== '' };
    this.thinking.push(thinking);
    this.start({ kind: 'thinking', index, thinking }, { type: 'thinking', thinking: '', signature: '' }, out);
    if (text !== '') out.push(blockDelta(index, { type: 'thinking_delta', thinking: text }));
    if (signature) out.push(blockDelta(index, { type: 'signature_delta', signature }));
    this.close(out);
  }

  private start(block: OpenBlock, contentBlock: Frame, out: Frame[]): void {
    this.close(out);
    this.open = block;
    out.push(blockStart(block.index, contentBlock));
  }

  private close(out: Frame[]): void {
    if (!this.open) return;
    out.push({ type: 'content_block_stop', index: this.open.index });
    this.open = undefined;
  }
}

function blockStart(index: number, contentBlock: Frame): Frame {
  return { type: 'content_block_start', index, content_block: contentBlock };
}

function blockDelta(index: number, delta: Frame): Frame {
  return { type: 'content_block_delta', index, delta };
}
