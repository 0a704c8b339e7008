/**
 * Exact token counts for OpenAI model families through gpt-tokenizer (pure JS, o200k_base and
 * cl100k_base; docs/decisions.md "Token counting"). Chat requests are counted the way OpenAI documents
 * them: 3 tokens per message, its role and content, 3 to prime the reply, and function definitions in
 * the format the model sees. An encoding's ranks take ~35 MB and most of a second to load, so each is
 * imported on first use only, and callers count exactly only when an estimate comes near a limit.
 */
import type { ChatMessage, ToolDefinition } from '../../core/messages.js';
import { messageText } from '../../core/messages.js';
import type { TokenMeasure } from '../base-llm-manager.js';

/** The two encodings current OpenAI chat models use. */
export type OpenAIEncodingName = 'o200k_base' | 'cl100k_base';

interface Encoding {
  countTokens(text: string): number;
}

/** Models on cl100k_base (GPT-4 before 4o, GPT-3.5, the v3 embeddings); newer families use o200k_base. */
const CL100K = /^(gpt-4(-\d|-turbo|-32k|$)|gpt-4-(0314|0613|1106|0125)|gpt-3\.5|text-embedding-(3|ada))/;
const O200K = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d|chatgpt-4o|codex|computer-use|omni-moderation)/;

/** The encoding of an OpenAI model id (fine-tunes `ft:<base>:...` count as their base), or undefined when not an OpenAI family. */
export function openAIEncodingFor(modelId: string): OpenAIEncodingName | undefined {
  const base = modelId.startsWith('ft:') ? modelId.slice(3).split(':')[0]! : modelId;
  if (CL100K.test(base)) return 'cl100k_base';
  if (O200K.test(base)) return 'o200k_base';
  return undefined;
}

const loaded = new Map<OpenAIEncodingName, Promise<Encoding>>();

/** The encoding's counter, imported once per process. */
export function loadEncoding(name: OpenAIEncodingName): Promise<Encoding> {
  let encoding = loaded.get(name);
  if (!encoding) {
    encoding = (name === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base')) as Promise<Encoding>;
    loaded.set(name, encoding);
  }
  return encoding;
}

type WireMessage = { role: string; content: string; function_call?: { name: string; arguments: string } };
type CountChat = (request: { messages: WireMessage[]; functions?: unknown[] }, count: (text: string) => number) => number;
type CountMessage = (message: WireMessage, count: (text: string) => number) => number;
let chatCounting: Promise<{ compute: CountChat; countMessage: CountMessage }> | undefined;

async function loadChatCounting(): Promise<{ compute: CountChat; countMessage: CountMessage }> {
  const module = await import('gpt-tokenizer/functionCalling');
  return { compute: module.computeChatCompletionTokenCount as unknown as CountChat, countMessage: module.countMessageTokens as unknown as CountMessage };
}

/** A message as the chat format counts it: its text; each tool call as a function call (name and arguments). */
function chatMessageOf(message: ChatMessage): WireMessage[] {
  if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
    const out: WireMessage[] = [];
    const text = messageText(message);
    if (text !== '') out.push({ role: 'assistant', content: text });
    for (const call of message.toolCalls) out.push({ role: 'assistant', content: '', function_call: { name: call.name, arguments: call.arguments } });
    return out;
  }
  return [{ role: message.role, content: messageText(message) }];
}

/**
 * Count a chat request for `encoding`, message by message (the chat format's 3 tokens each included)
 * plus what the request adds (reply priming, tool definitions): exact for text, tool definitions and
 * tool calls. Images are not text: each adds `imageTokens` and makes the count inexact.
 */
export async function measureOpenAIChat(encodingName: OpenAIEncodingName, messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = [], imageTokens = 0): Promise<TokenMeasure> {
  const [encoding, { compute, countMessage }] = await Promise.all([loadEncoding(encodingName), (chatCounting ??= loadChatCounting())]);
  const count = (text: string) => encoding.countTokens(text);
  const functions = tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.parameters }));
  const wire = messages.map(chatMessageOf);
  let exact = true;
  const perMessage = messages.map((message, index) => {
    let tokens = 0;
    for (const part of wire[index]!) tokens += countMessage(part, count);
    if (message.role === 'user' && Array.isArray(message.content)) {
      for (const part of message.content) {
        if (part.type !== 'image') continue;
        tokens += imageTokens;
        exact = false;
      }
    }
    return tokens;
  });
  const total = compute({ messages: wire.flat(), functions: functions.length > 0 ? functions : undefined }, count);
  let textTokens = 0;
  for (const parts of wire) for (const part of parts) textTokens += countMessage(part, count);
  return { perMessage, fixed: total - textTokens, exact };
}

/** Tokens of plain text (embeddings input, a prompt without the chat format). */
export async function countOpenAIText(encodingName: OpenAIEncodingName, text: string): Promise<number> {
  return (await loadEncoding(encodingName)).countTokens(text);
}
