/**
 * How `responseFormat` json / json_schema reaches Claude (docs/decisions.md "Anthropic structured
 * output: native where the model has it, else an answer tool"):
 * - `json_schema` on a model with structured outputs: `output_config.format` ({ type: 'json_schema',
 *   schema }); the answer is a text block holding the JSON.
 * - `json_schema` on an older model, and `json` on every model (native output needs a schema with
 *   named properties, so "any object" cannot go that way): one tool, ANSWER_TOOL, whose input schema
 *   is the schema (`{ type: 'object' }` for `json`), forced with tool_choice. Its `tool_use` input is
 *   the answer: map-response.ts and stream-parts.ts turn it into text, never into a tool call.
 */
import type { JSONOutputFormat, Tool, ToolChoiceTool } from '@anthropic-ai/sdk/resources/messages';
import type { ProviderRequest } from '../../core/types.js';

/** The tool a structured answer comes through when the model has no native structured output. */
export const ANSWER_TOOL = 'json_answer';

/**
 * Models from before Anthropic's structured outputs (Claude 2 and 3.x, Sonnet 4 and Opus 4 of
 * 2025-05). Every later model, and any name not listed here, gets the native output format.
 */
const WITHOUT_NATIVE_OUTPUT = /^claude-(?:instant|2|3|sonnet-4-(?:0|2025)|opus-4-(?:0|2025))/;

/** How one request's structured answer is asked for. */
export type StructuredOutput = { kind: 'native'; format: JSONOutputFormat } | { kind: 'tool'; tool: Tool; choice: ToolChoiceTool };

/** Does `modelId` take `output_config.format`? */
export function hasNativeOutput(modelId: string): boolean {
  return !WITHOUT_NATIVE_OUTPUT.test(modelId);
}

/** Will the answer come through ANSWER_TOOL (a forced tool call) rather than as text? */
export function answersThroughTool(request: Pick<ProviderRequest, 'responseFormat' | 'modelId'>): boolean {
  const format = request.responseFormat?.type;
  return format === 'json' || (format === 'json_schema' && !hasNativeOutput(request.modelId));
}

/** The structured-output fields for `request`; undefined for a text answer. */
export function structuredOutputFor(request: Pick<ProviderRequest, 'responseFormat' | 'modelId'>): StructuredOutput | undefined {
  const format = request.responseFormat;
  if (!format || format.type === 'text') return undefined;
  if (!answersThroughTool(request) && format.type === 'json_schema') return { kind: 'native', format: { type: 'json_schema', schema: format.schema } };
  const tool: Tool = {
    name: ANSWER_TOOL,
    description: 'Give your whole answer as the input of this tool.',
    input_schema: (format.type === 'json_schema' ? format.schema : { type: 'object' }) as Tool.InputSchema,
  };
  if (format.type === 'json_schema' && format.strict !== undefined) tool.strict = format.strict;
  // One answer: a second call of the same tool would be a second answer.
  return { kind: 'tool', tool, choice: { type: 'tool', name: ANSWER_TOOL, disable_parallel_tool_use: true } };
}
