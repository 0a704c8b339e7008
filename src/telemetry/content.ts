/**
 * Message content in the GenAI JSON message format (semantic conventions: `gen_ai.input.messages`,
 * `gen_ai.output.messages`, `gen_ai.system_instructions`, `gen_ai.tool.definitions`), for spans with
 * content capture on only. Parts: text, images (their URL or media type: image bytes are never put on a
 * span, they would swamp any backend), tool calls, tool results and reasoning. Every JSON string passes
 * the switchboard's secret registry (spans are read by operators only).
 */
import type { Attributes } from '@opentelemetry/api';
import type { ChatMessage, ReasoningBlock, ToolCall, ToolDefinition } from '../core/types.js';
import * as sc from './semconv.js';

/** How span text is scrubbed: the switchboard's secret registry. */
export type Scrub = (text: string) => string;

type Part = Record<string, unknown>;

const text = (content: string): Part => ({ type: 'text', content });
const toolCallPart = (call: ToolCall): Part => ({ type: 'tool_call', id: call.id, name: call.name, arguments: call.arguments });

/** Our finish reasons in the spec's vocabulary (`content_filter`, `tool_call`). */
export function specFinishReason(reason: string): string {
  if (reason === 'content-filter') return 'content_filter';
  if (reason === 'tool-calls') return 'tool_call';
  return reason;
}

function partsOf(message: ChatMessage): Part[] {
  switch (message.role) {
    case 'system':
      return [text(message.content)];
    case 'user':
      if (typeof message.content === 'string') return [text(message.content)];
      return message.content.map((part) => (part.type === 'text' ? text(part.text) : part.url !== undefined ? { type: 'uri', modality: 'image', uri: part.url.startsWith('data:') ? 'data:…' : part.url } : { type: 'blob', modality: 'image', mime_type: part.mediaType }));
    case 'assistant': {
      const parts: Part[] = [];
      for (const block of message.reasoning ?? []) parts.push({ type: 'reasoning', content: block.text });
      if (message.content) parts.push(text(message.content));
      for (const call of message.toolCalls ?? []) parts.push(toolCallPart(call));
      return parts;
    }
    case 'tool':
      return [{ type: 'tool_call_response', id: message.toolCallId, response: message.content }];
  }
}

/** Content attributes of a request: system messages as instructions, the rest as input, the tools offered. */
export function inputContentAttributes(messages: readonly ChatMessage[], scrub: Scrub, tools?: readonly ToolDefinition[]): Attributes {
  const system: Part[] = [];
  const input: Array<{ role: string; parts: Part[] }> = [];
  for (const message of messages) {
    if (message.role === 'system') system.push(text(message.content));
    else input.push({ role: message.role, parts: partsOf(message) });
  }
  const out: Attributes = { [sc.ATTR_INPUT_MESSAGES]: scrub(JSON.stringify(input)) };
  if (system.length > 0) out[sc.ATTR_SYSTEM_INSTRUCTIONS] = scrub(JSON.stringify(system));
  if (tools && tools.length > 0) {
    out[sc.ATTR_TOOL_DEFINITIONS] = scrub(JSON.stringify(tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters }))));
  }
  return out;
}

/** The answer in the GenAI output-message format: reasoning, text and tool calls. */
export function outputContentAttributes(answer: string, finishReason: string, scrub: Scrub, toolCalls: readonly ToolCall[] = [], reasoning: readonly ReasoningBlock[] = []): Attributes {
  const parts: Part[] = [];
  for (const block of reasoning) parts.push({ type: 'reasoning', content: block.text });
  if (answer || toolCalls.length === 0) parts.push(text(answer));
  for (const call of toolCalls) parts.push(toolCallPart(call));
  return { [sc.ATTR_OUTPUT_MESSAGES]: scrub(JSON.stringify([{ role: 'assistant', parts, finish_reason: specFinishReason(finishReason) }])) };
}
