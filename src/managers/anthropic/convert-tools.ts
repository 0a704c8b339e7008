/**
 * Our tools and tool choice -> Anthropic's `tools` ({ name, description, input_schema }) and
 * `tool_choice`: auto -> auto, required -> any, { name } -> tool, none -> none. `parallelToolCalls:
 * false` is Anthropic's `disable_parallel_tool_use: true` on the choice (`none` has no such field:
 * no call at all is fewer than one).
 */
import type { Tool, ToolChoice as AnthropicToolChoice } from '@anthropic-ai/sdk/resources/messages';
import type { ProviderRequest, ToolChoice, ToolDefinition } from '../../core/types.js';

/** What the tool fields of a request become; both absent when the request offers no tools. */
export interface AnthropicTools {
  tools?: Tool[];
  tool_choice?: AnthropicToolChoice;
}

/** One tool definition (its parameter schema sent as given; request-rules.ts checked it compiles). */
export function toAnthropicTool(tool: ToolDefinition): Tool {
  const out: Tool = { name: tool.name, input_schema: tool.parameters as Tool.InputSchema };
  if (tool.description !== undefined) out.description = tool.description;
  if (tool.strict !== undefined) out.strict = tool.strict;
  return out;
}

/** Our tool choice -> Anthropic's; `disableParallel` for `parallelToolCalls: false`. */
export function toAnthropicToolChoice(choice: ToolChoice, disableParallel: boolean): AnthropicToolChoice {
  if (choice === 'none') return { type: 'none' };
  const parallel = disableParallel ? { disable_parallel_tool_use: true } : {};
  if (choice === 'auto') return { type: 'auto', ...parallel };
  if (choice === 'required') return { type: 'any', ...parallel };
  return { type: 'tool', name: choice.name, ...parallel };
}

/**
 * The request's tools and choice. No choice given: none is sent (Anthropic's default is auto),
 * unless `parallelToolCalls: false` needs an auto choice to ride on.
 */
export function toAnthropicTools(request: Pick<ProviderRequest, 'tools' | 'toolChoice' | 'parallelToolCalls'>): AnthropicTools {
  if (!request.tools || request.tools.length === 0) return {};
  const out: AnthropicTools = { tools: request.tools.map(toAnthropicTool) };
  const disableParallel = request.parallelToolCalls === false;
  if (request.toolChoice !== undefined || disableParallel) out.tool_choice = toAnthropicToolChoice(request.toolChoice ?? 'auto', disableParallel);
  return out;
}
