/**
 * Our ProviderRequest -> the body of an Anthropic Messages request, from the one-job converters:
 * the conversation (convert-messages.ts), max_tokens and thinking (convert-thinking.ts), tools and
 * tool choice (convert-tools.ts), the structured answer (structured-output.ts); `stop` becomes
 * `stop_sequences`; `providerOptions.anthropic` merges last, never over a field set here.
 * What the API cannot carry at all (sampling parameters ...) was refused before (refusals.ts).
 */
import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import type { ProviderRequest } from '../../core/types.js';
import { mergeProviderOptions } from '../provider-options.js';
import { ANTHROPIC_ID } from './anthropic-config.js';
import { toAnthropicConversation } from './convert-messages.js';
import { toTokenFields } from './convert-thinking.js';
import { toAnthropicTools } from './convert-tools.js';
import { ANSWER_TOOL, structuredOutputFor } from './structured-output.js';

/** The request body without `stream`, which the caller adds. */
export type MessagesBody = Omit<MessageCreateParamsBase, 'stream'>;

/** A body and how to read its answer. */
export interface MessagesRequest {
  body: MessagesBody;
  /** Set when the answer comes as this tool's input (structured output without the native format). */
  answerTool?: string;
}

/** Body fields the converter owns: providerOptions may not replace them (provider-options.ts). */
const RESERVED = ['model', 'messages', 'system', 'stream', 'max_tokens', 'stop_sequences', 'tools', 'tool_choice', 'thinking'];
/** With a native structured answer, `output_config` is the converter's too (else options may set e.g. its effort). */
const RESERVED_WITH_FORMAT = [...RESERVED, 'output_config'];

/** Map messages, parameters, tools and the answer format; throws InvalidRequestError naming what to change. */
export function toMessagesRequest(request: ProviderRequest, defaultMaxTokens: number): MessagesRequest {
  const { system, messages } = toAnthropicConversation(request);
  const { params } = request;
  const body: MessagesBody = { model: request.modelId, ...toTokenFields(params, defaultMaxTokens, request.modelId), messages, ...toAnthropicTools(request) };
  if (system !== undefined) body.system = system;
  if (params.stop !== undefined) body.stop_sequences = Array.isArray(params.stop) ? [...params.stop] : [params.stop];
  const structured = structuredOutputFor(request);
  if (structured?.kind === 'native') body.output_config = { format: structured.format };
  if (structured?.kind === 'tool') {
    // refusals.ts made sure the request offers no tools of its own.
    body.tools = [structured.tool];
    body.tool_choice = structured.choice;
  }
  mergeProviderOptions(body, request, ANTHROPIC_ID, structured?.kind === 'native' ? RESERVED_WITH_FORMAT : RESERVED);
  return structured?.kind === 'tool' ? { body, answerTool: ANSWER_TOOL } : { body };
}
