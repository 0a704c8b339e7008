/**
 * Tools, tool choice and the answer's format on OpenAI's chat completion wire (shared with the
 * OpenAI-compatible endpoints and HuggingFace's chat completion, which take the same shapes):
 * - tools -> `[{ type: 'function', function: { name, description, parameters, strict } }]`;
 * - toolChoice `auto` / `none` / `required` as they are, `{ name }` -> `{ type: 'function', function: { name } }`;
 * - parallelToolCalls -> `parallel_tool_calls`;
 * - responseFormat `json` -> `{ type: 'json_object' }`, `json_schema` -> `{ type: 'json_schema',
 *   json_schema: { name, schema, strict } }` (name `response` when the caller gave none: the API
 *   requires one); `text` is the API's default and goes as no field at all (TGI, behind
 *   HuggingFace, has no `text` format and would refuse one).
 * Fields the caller did not set stay off the wire.
 */
import type { ChatCompletionFunctionTool, ChatCompletionNamedToolChoice, ChatCompletionTool, ChatCompletionToolChoiceOption } from 'openai/resources/chat/completions';
import type { ResponseFormatJSONObject, ResponseFormatJSONSchema } from 'openai/resources/shared';
import type { ResponseFormat, ToolChoice, ToolDefinition } from '../../core/messages.js';
import type { RichRequestFields } from '../../core/types.js';

/** The name sent with a json_schema format the caller did not name. */
export const DEFAULT_SCHEMA_NAME = 'response';

/** The tool fields of a chat completion body. */
export interface ToolFields {
  tools?: ChatCompletionTool[];
  tool_choice?: ChatCompletionToolChoiceOption;
  parallel_tool_calls?: boolean;
}

/** One tool definition on the wire. */
export function toOpenAITool(tool: ToolDefinition): ChatCompletionFunctionTool {
  const definition: ChatCompletionFunctionTool = { type: 'function', function: { name: tool.name, parameters: tool.parameters } };
  if (tool.description !== undefined) definition.function.description = tool.description;
  if (tool.strict !== undefined) definition.function.strict = tool.strict;
  return definition;
}

/** A tool choice on the wire. */
export function toOpenAIToolChoice(choice: ToolChoice): 'auto' | 'none' | 'required' | ChatCompletionNamedToolChoice {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/**
 * The tools, tool choice and parallel-calls fields of `request`. Without tools there are none: OpenAI
 * answers `tool_choice` or `parallel_tool_calls` without `tools` with 400, and with nothing to call a
 * `none` choice (the only one the request rules allow without tools) and the parallel setting hold anyway.
 */
export function toToolFields(request: RichRequestFields): ToolFields {
  const fields: ToolFields = {};
  if (!request.tools || request.tools.length === 0) return fields;
  fields.tools = request.tools.map(toOpenAITool);
  if (request.toolChoice !== undefined) fields.tool_choice = toOpenAIToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) fields.parallel_tool_calls = request.parallelToolCalls;
  return fields;
}

/** `response_format` for `format`, or undefined for free text (the default). */
export function toResponseFormat(format: ResponseFormat | undefined): ResponseFormatJSONObject | ResponseFormatJSONSchema | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json') return { type: 'json_object' };
  const jsonSchema: ResponseFormatJSONSchema['json_schema'] = { name: format.name ?? DEFAULT_SCHEMA_NAME, schema: format.schema };
  if (format.strict !== undefined) jsonSchema.strict = format.strict;
  return { type: 'json_schema', json_schema: jsonSchema };
}
