/**
 * Our conversation -> node-llama-cpp chat history, and our tools -> its functions. An assistant turn
 * with tool calls becomes a model response holding `functionCall` items, each carrying the result of
 * the tool message that answers it (node-llama-cpp keeps a call and its result together and renders
 * both through the chat wrapper's function syntax), so a follow-up continues after the results.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse } from 'node-llama-cpp';
import { InvalidRequestError } from '../../core/errors.js';
import { messageText, type ProviderRequest, type ToolDefinition } from '../../core/types.js';
import { toGrammarSchema } from './json-grammar.js';
import { LLAMACPP_ID } from './llamacpp-config.js';

/** A tool call's JSON text as the params object node-llama-cpp renders; the path names it when it is none. */
function parsedParams(text: string, path: string, request: ProviderRequest): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Never the text itself: it is the caller's (or an earlier model's) content.
    throw new InvalidRequestError(`${path} must be JSON text to go to a llama.cpp model`, { provider: LLAMACPP_ID, model: request.modelId });
  }
}

/** A tool's result as node-llama-cpp renders it: JSON when it is JSON (rendered as is), else the text. */
function resultValue(content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return content;
  }
}

/**
 * Our messages as chat history, ending with the model turn to generate. Tool results fill in the
 * calls they answer (the latest call with that id: ids may repeat across turns) and add no item of
 * their own; an assistant turn right after them continues the same model response.
 */
export function toChatHistory(request: ProviderRequest): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const openCalls = new Map<string, ChatModelFunctionCall>();
  request.messages.forEach((message, index) => {
    const last = history.at(-1);
    switch (message.role) {
      case 'system':
        history.push({ type: 'system', text: message.content });
        return;
      case 'user':
        history.push({ type: 'user', text: messageText(message) });
        return;
      case 'tool': {
        // request-rules.ts guarantees the call was made earlier in the conversation.
        const call = openCalls.get(message.toolCallId);
        if (call) call.result = resultValue(message.content);
        return;
      }
      case 'assistant': {
        const response: ChatModelResponse = last?.type === 'model' ? last : { type: 'model', response: [] };
        if (response !== last) history.push(response);
        if (message.content) response.response.push(message.content);
        (message.toolCalls ?? []).forEach((toolCall, j) => {
          const item: ChatModelFunctionCall = {
            type: 'functionCall',
            name: toolCall.name,
            params: parsedParams(toolCall.arguments, `messages[${index}].toolCalls[${j}].arguments`, request),
            // Until its tool message fills it in: a call without a result.
            result: null,
          };
          openCalls.set(toolCall.id, item);
          response.response.push(item);
        });
      }
    }
  });
  // A trailing assistant message (or tool results) is a prefix the model continues; otherwise it starts a new turn.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/** Our tools as node-llama-cpp functions (parameters in the form its grammar builder reads). */
export function toFunctions(tools: readonly ToolDefinition[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: unknown }> = {};
  for (const tool of tools) functions[tool.name] = { ...(tool.description !== undefined ? { description: tool.description } : {}), params: toGrammarSchema(tool.parameters) };
  return functions as ChatModelFunctions;
}

/**
 * The instruction that goes with a forced call: the grammar fixes the shape of the answer, this tells
 * the model what the tools are for, so a real model picks the right one and fills it sensibly.
 */
export function forcedCallInstruction(tools: readonly ToolDefinition[]): string {
  const lines = tools.map((tool) => `- ${tool.name}${tool.description ? `: ${tool.description}` : ''}; arguments: ${JSON.stringify(tool.parameters)}`);
  return `Answer with one tool call, as a JSON object {"name": <tool name>, "arguments": <its arguments>}. The tools:\n${lines.join('\n')}`;
}

/** `history` with `instruction` added to its system text (first system item, or a new one in front). */
export function withSystemInstruction(history: ChatHistoryItem[], instruction: string): ChatHistoryItem[] {
  const index = history.findIndex((item) => item.type === 'system');
  if (index < 0) return [{ type: 'system', text: instruction }, ...history];
  const system = history[index] as { type: 'system'; text: unknown };
  const text = typeof system.text === 'string' ? `${system.text}\n\n${instruction}` : instruction;
  return history.map((item, i) => (i === index ? { type: 'system', text } : item));
}
