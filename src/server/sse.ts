/**
 * Server-sent events on a raw Node response, the way OpenAI streams (`data: <json>` frames, then
 * `data: [DONE]`) or as typed events (`event: <type>` + `data: <json>`, the Responses and Messages APIs). Writes respect back-pressure (a slow client slows the upstream read, nothing piles
 * up in memory) and become no-ops once the client has gone. Frames written in the same turn of the
 * event loop (the parts of one upstream read) leave in one socket write: the response is corked at
 * the first frame and uncorked on the next tick, instead of a syscall per frame.
 */
import type { ServerResponse } from 'node:http';

/** Writes SSE frames to one response. */
export class SseWriter {
  private ended = false;
  private corked = false;
  /** Made once per stream, not per tick. */
  private readonly uncork = () => {
    this.corked = false;
    this.response.uncork();
  };

  constructor(private readonly response: ServerResponse) {}

  /** Send the status line and stream headers (before the first frame). */
  open(headers: Record<string, string>): void {
    this.response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise buffer the whole stream.
      'x-accel-buffering': 'no',
    });
    this.response.flushHeaders();
  }

  /**
   * False once the client went away or the stream was ended. A destroyed socket counts at once: the
   * response hears of it (its `close`) only a loop turn later, and a write in between is lost anyway.
   */
  get writable(): boolean {
    if (this.ended || this.response.destroyed || this.response.writableEnded) return false;
    return !this.response.socket?.destroyed;
  }

  /** One `data:` frame holding `value` as JSON. */
  send(value: unknown): Promise<void> {
    return this.write(`data: ${JSON.stringify(value)}\n\n`);
  }

  /**
   * One typed event: `event: <value.type>` and a `data:` line holding `value` as JSON. The type is
   * the wire format's own constant, never caller text, so it cannot break the frame.
   */
  sendTyped(value: Record<string, unknown>): Promise<void> {
    return this.write(`event: ${String(value.type)}\ndata: ${JSON.stringify(value)}\n\n`);
  }

  /** OpenAI's end-of-stream marker. */
  done(): Promise<void> {
    return this.write('data: [DONE]\n\n');
  }

  /** End the response (idempotent). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.response.destroyed && !this.response.writableEnded) this.response.end();
  }

  private write(frame: string): Promise<void> {
    if (!this.writable) return Promise.resolve();
    if (!this.corked) {
      this.corked = true;
      this.response.cork();
      process.nextTick(this.uncork);
    }
    if (this.response.write(frame)) return Promise.resolve();
    return new Promise((resolve) => {
      const settle = () => {
        this.response.off('drain', settle);
        this.response.off('close', settle);
        resolve();
      };
      this.response.on('drain', settle);
      this.response.on('close', settle);
    });
  }
}
