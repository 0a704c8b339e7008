/**
 * Our ChatMessage list -> OpenAI chat completion messages, the shape every OpenAI-speaking server
 * takes (OpenAI, the OpenAI-compatible endpoints, and HuggingFace's chat completion: TGI's Messages
 * API and Inference Providers, which use the same wire; huggingface-manager reuses this):
 * - user parts: `text`, and `image_url` with an https URL, or a `data:<mediaType>;base64,<data>` URL
 *   for bytes (a data: URL the caller gave travels as it is);
 * - assistant tool calls: `tool_calls: [{ id, type: 'function', function: { name, arguments } }]` with
 *   `content: null` when the turn has no text (what the OpenAI SDKs send themselves);
 * - tool results: `{ role: 'tool', tool_call_id, content }`.
 *
 * Reasoning blocks of assistant turns are not sent: chat completions has no field for them. They are
 * replay data of the provider that wrote them (Anthropic's signed thinking); no request field is
 * dropped here. The servers that return `reasoning_content` (DeepSeek, vLLM) do not want it back:
 * DeepSeek answers 400 when a history message carries it.
 */
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatMessage, UserPart } from '../../core/messages.js';

/** One user part on the wire. */
function userPart(part: UserPart): ChatCompletionContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const url = part.url ?? `data:${part.mediaType};base64,${part.data}`;
  return { type: 'image_url', image_url: { url } };
}

/** One message on the wire (plain `{ role, content: string }` messages keep exactly that shape). */
export function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: typeof message.content === 'string' ? message.content : message.content.map(userPart) };
    case 'assistant': {
      const calls = message.toolCalls;
      if (!calls || calls.length === 0) return { role: 'assistant', content: message.content ?? '' };
      return {
        role: 'assistant',
        // "Required unless tool_calls is specified": a turn that only called tools has no text.
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/** The conversation on the wire, in order. */
export function toOpenAIMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = new Array(messages.length);
  for (let index = 0; index < messages.length; index++) out[index] = toOpenAIMessage(messages[index]!);
  return out;
}
