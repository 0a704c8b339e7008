/**
 * What FakeAnthropicServer refuses with 400 `invalid_request_error`, as the real Messages API does,
 * so a manager test proves its requests would pass there too (messages modelled on the API's own):
 * - thinking: `budget_tokens` of at least 1024 and below `max_tokens`; no forced tool_choice with it;
 * - tools: each `{ name, input_schema: { type: 'object' } }`; a `tool` choice names one of them;
 * - `output_config.format`: `{ type: 'json_schema', schema: {...} }`;
 * - messages: every `tool_use` answered by `tool_result` blocks in the very next (user) message, those
 *   blocks first, each answering a `tool_use` of the message before; image sources base64 (with a
 *   known media type) or url; thinking blocks with their signature.
 */

/** The request fields these checks read. */
export interface CheckedBody {
  max_tokens?: unknown;
  thinking?: { type?: string; budget_tokens?: unknown } | null;
  tools?: Array<{ name?: unknown; input_schema?: { type?: unknown } | null }>;
  tool_choice?: { type?: string; name?: string } | null;
  output_config?: { format?: { type?: unknown; schema?: unknown } | null } | null;
  messages?: Array<{ role?: string; content?: unknown }>;
}

type Block = Record<string, unknown>;

const MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function blocksOf(content: unknown): Block[] {
  return Array.isArray(content) ? (content.filter((block) => typeof block === 'object' && block !== null) as Block[]) : [];
}

function checkThinkingAndTools(body: CheckedBody): string | undefined {
  const thinking = body.thinking;
  if (thinking?.type === 'enabled') {
    const budget = thinking.budget_tokens;
    if (typeof budget !== 'number' || budget < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (typeof body.max_tokens !== 'number' || body.max_tokens <= budget) return '`max_tokens` must be greater than `thinking.budget_tokens`';
    if (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
  }
  const names = new Set<unknown>();
  for (const [i, tool] of (body.tools ?? []).entries()) {
    if (typeof tool.name !== 'string' || tool.input_schema?.type !== 'object') return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
    names.add(tool.name);
  }
  if (body.tool_choice?.type === 'tool' && !names.has(body.tool_choice.name)) return 'tool_choice.name: Tool not found in the tools provided';
  const format = body.output_config?.format;
  if (format && (format.type !== 'json_schema' || typeof format.schema !== 'object' || format.schema === null)) return "output_config.format.type: Input should be 'json_schema'";
  return undefined;
}

function checkBlock(block: Block, path: string): string | undefined {
  if (block.type === 'image') {
    const source = (block.source ?? {}) as Block;
    if (source.type === 'base64') {
      if (!MEDIA_TYPES.has(source.media_type as string)) return `${path}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
      if (typeof source.data !== 'string' || source.data === '') return `${path}.image.source.base64.data: Field required`;
    } else if (source.type !== 'url' || typeof source.url !== 'string') {
      return `${path}.image.source: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`;
    }
  }
  if (block.type === 'thinking' && typeof block.signature !== 'string') return `${path}.thinking.signature: Field required`;
  if (block.type === 'tool_use' && (typeof block.input !== 'object' || block.input === null || Array.isArray(block.input))) return `${path}.tool_use.input: Input should be a valid dictionary`;
  return undefined;
}

function checkMessages(messages: NonNullable<CheckedBody['messages']>): string | undefined {
  for (let n = 0; n < messages.length; n++) {
    const blocks = blocksOf(messages[n]!.content);
    for (let m = 0; m < blocks.length; m++) {
      const problem = checkBlock(blocks[m]!, `messages.${n}.content.${m}`);
      if (problem) return problem;
    }
    const previous = n > 0 ? blocksOf(messages[n - 1]!.content) : [];
    const asked = new Set(messages[n - 1]?.role === 'assistant' ? previous.filter((block) => block.type === 'tool_use').map((block) => block.id) : []);
    const results = blocks.filter((block) => block.type === 'tool_result');
    const resultsFirst = blocks.slice(0, results.length).every((block) => block.type === 'tool_result');
    if (results.length > 0 && (messages[n]!.role !== 'user' || !resultsFirst)) return `messages.${n}: \`tool_result\` blocks must come first in a user message`;
    for (const result of results) {
      if (!asked.has(result.tool_use_id)) return `messages.${n}: unexpected \`tool_use_id\` found in \`tool_result\` blocks. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      asked.delete(result.tool_use_id);
    }
    if (asked.size > 0) return `messages.${n - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  }
  const last = messages.at(-1);
  const lastAsked = last?.role === 'assistant' && blocksOf(last.content).some((block) => block.type === 'tool_use');
  return lastAsked ? `messages.${messages.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after.` : undefined;
}

/** The message of the 400 the real API would answer `body` with, or undefined when it would take it. */
export function anthropicRequestProblem(body: CheckedBody): string | undefined {
  return checkThinkingAndTools(body) ?? checkMessages(body.messages ?? []);
}
