/**
 * The span of one chain run (docs/telemetry.md "Chain span"): `invoke_workflow {name}`, INTERNAL,
 * the parent of every step's call spans (the `invoke_agent` span of a bot step, the inference spans of
 * a model step). Each step runs inside `context.with(trace.setSpan(...))`, so the call path's spans,
 * which start from the active context, nest beneath it without the pipeline knowing about chains.
 * Prompt and answer text are recorded only with content capture on. Like all telemetry, every step
 * here is guarded: a failing span processor never breaks the chain.
 */
import { SpanKind, context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import type { ChatMessage, GenerateResult } from '../core/types.js';
import { inputContentAttributes, outputContentAttributes, type Scrub } from '../telemetry/content.js';
import { eventError } from '../telemetry/events.js';
import { safely } from '../telemetry/observer.js';
import * as sc from '../telemetry/semconv.js';
import { contentCaptureEnabled } from '../telemetry/telemetry.js';
import { failSpan } from '../telemetry/tracing.js';

/** What a chain span is recorded with. */
export interface ChainTelemetry {
  tracer: Tracer;
  captureContent: boolean;
  scrub: Scrub;
  /** Where a failing telemetry step is reported. */
  log: (message: string, error: unknown) => void;
}

/**
 * A switchboard's chain telemetry: its content-capture setting (config or the standard environment
 * variable), its secret registry for span text, its logger, and its tracer (the switchboard's
 * `tracerProvider`, else the global one), so the chain span lands where its steps' spans do.
 */
export function chainTelemetryFor(tracer: Tracer, captureContent: boolean | undefined, secrets: SecretRegistry, logger: Logger): ChainTelemetry {
  return {
    tracer,
    captureContent: contentCaptureEnabled(captureContent),
    scrub: (text) => secrets.scrub(text),
    log: (message, error) => logger.warn(message, { error: eventError(error) }),
  };
}

/** The chain's span and the context its steps run in. */
export class ChainSpan {
  private span: Span | undefined;
  private settled = false;
  /** The context each step's call runs in (the chain span's, or the caller's when no span started). */
  readonly context: Context;

  constructor(private readonly telemetry: ChainTelemetry, name: string, steps: number, stream: boolean) {
    const parent = context.active();
    const attributes: Attributes = {
      [sc.ATTR_OPERATION_NAME]: sc.OPERATION_INVOKE_WORKFLOW,
      [sc.ATTR_WORKFLOW_NAME]: name,
      [sc.ATTR_SB_CHAIN_STEPS]: steps,
      [sc.ATTR_REQUEST_STREAM]: stream,
    };
    safely(() => {
      this.span = telemetry.tracer.startSpan(`${sc.OPERATION_INVOKE_WORKFLOW} ${name}`, { kind: SpanKind.INTERNAL, attributes }, parent);
    }, telemetry.log);
    this.context = this.span ? trace.setSpan(parent, this.span) : parent;
  }

  /** Run `step` (one step's call) with the chain span as the active span. */
  run<T>(step: () => T): T {
    return context.with(this.context, step);
  }

  /** The first step's messages, recorded as the chain's input with content capture on only. */
  input(messages: readonly ChatMessage[]): void {
    if (!this.telemetry.captureContent || this.settled) return;
    safely(() => this.span?.setAttributes(inputContentAttributes(messages, this.telemetry.scrub)), this.telemetry.log);
  }

  /** A step's call answered: an event with its index, outputKey and the model that answered. */
  stepDone(index: number, outputKey: string, result: GenerateResult): void {
    if (this.settled) return;
    safely(
      () => this.span?.addEvent(sc.EVENT_CHAIN_STEP, { [sc.ATTR_SB_CHAIN_STEP_INDEX]: index, [sc.ATTR_SB_CHAIN_OUTPUT_KEY]: outputKey, [sc.ATTR_SB_MODEL]: result.model }),
      this.telemetry.log,
    );
  }

  /** The chain finished: its total cost (when every step was priced) and, with capture on, the last answer. */
  end(last: GenerateResult, costUsd: number | null): void {
    if (this.settled) return;
    this.settled = true;
    safely(() => {
      if (!this.span) return;
      const attributes: Attributes = {};
      if (costUsd !== null) attributes[sc.ATTR_SB_COST_USD] = costUsd;
      if (this.telemetry.captureContent) Object.assign(attributes, outputContentAttributes(last.text, last.finishReason, this.telemetry.scrub));
      this.span.setAttributes(attributes);
      this.span.end();
    }, this.telemetry.log);
  }

  /** The chain failed at step `index` (`error.type`, status ERROR with the scrubbed message). */
  fail(error: unknown, index: number, outputKey: string): void {
    if (this.settled) return;
    this.settled = true;
    safely(
      () => this.span && failSpan(this.span, error, { [sc.ATTR_SB_CHAIN_STEP_INDEX]: index, [sc.ATTR_SB_CHAIN_OUTPUT_KEY]: outputKey }, this.telemetry.scrub),
      this.telemetry.log,
    );
  }
}
