/**
 * Chat prompt templates (API.md "Prompt templates and chains"): a conversation of system, user and
 * assistant messages whose string contents are PromptTemplates, rendered together by
 * `formatMessages(vars)` into ChatMessage[]. Same syntax and rules as PromptTemplate.
 */
import { InvalidRequestError } from '../core/errors.js';
import type { ChatMessage } from '../core/types.js';
import { isPlainObject } from '../config/problems.js';
import { excerpt } from '../core/secrets.js';
import { checkVariables, MAX_RENDERED_CHARS, missingVariables, PromptTemplate, renderTemplate, variableList } from './prompt-template.js';

/** Most messages one chat template holds: the default of `limits.maxMessages`. */
export const MAX_TEMPLATE_MESSAGES = 500;

/** Roles a chat template may hold (tool results and images are data, not templates). */
export type ChatTemplateRole = 'system' | 'user' | 'assistant';

/** One message of a chat template: its role and its content as template text. */
export interface ChatTemplateMessage {
  role: ChatTemplateRole;
  content: string;
}

const ROLES: ReadonlySet<string> = new Set<ChatTemplateRole>(['system', 'user', 'assistant']);
/** Each chat template's parsed messages, kept off the public object. */
const TEMPLATES = new WeakMap<ChatPromptTemplate, readonly PromptTemplate[]>();

/** A conversation template: `new ChatPromptTemplate([{ role: 'system', content: 'You teach {subject}.' }, ...])`. */
export class ChatPromptTemplate {
  /** The messages as given (frozen copies). */
  readonly messages: readonly Readonly<ChatTemplateMessage>[];
  /** Variable names across all messages, unique, in order of first appearance. */
  readonly variables: readonly string[];

  /** Parse every message once; InvalidRequestError naming the first bad message (`messages[1].role`). */
  constructor(messages: readonly ChatTemplateMessage[]) {
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_TEMPLATE_MESSAGES) {
      throw new InvalidRequestError(`ChatPromptTemplate takes a non-empty array of at most ${MAX_TEMPLATE_MESSAGES} messages { role, content }`);
    }
    const copies: Readonly<ChatTemplateMessage>[] = [];
    const templates: PromptTemplate[] = [];
    const seen = new Set<string>();
    messages.forEach((message: unknown, index) => {
      const where = `ChatPromptTemplate messages[${index}]`;
      if (!isPlainObject(message)) throw new InvalidRequestError(`${where} must be an object { role, content }`);
      const unknown = Object.keys(message).find((key) => key !== 'role' && key !== 'content');
      if (unknown !== undefined) throw new InvalidRequestError(`${where} has an unknown field "${excerpt(unknown)}"; a template message is { role, content }`);
      if (typeof message.role !== 'string' || !ROLES.has(message.role)) throw new InvalidRequestError(`${where}.role must be "system", "user" or "assistant"`);
      if (typeof message.content !== 'string') throw new InvalidRequestError(`${where}.content must be template text (a string)`);
      const template = new PromptTemplate(message.content);
      templates.push(template);
      for (const name of template.variables) seen.add(name);
      copies.push(Object.freeze({ role: message.role as ChatTemplateRole, content: message.content }));
    });
    this.messages = Object.freeze(copies);
    this.variables = Object.freeze([...seen]);
    TEMPLATES.set(this, Object.freeze(templates));
  }

  /**
   * The conversation with every variable replaced by its value (a string or a finite number). Every
   * variable missing is named at once, before anything is rendered; the whole conversation is bounded
   * to MAX_RENDERED_CHARS.
   */
  formatMessages(values: Readonly<Record<string, unknown>>): ChatMessage[] {
    return renderChatTemplate(this, checkVariables(values, 'ChatPromptTemplate.formatMessages'), 'ChatPromptTemplate.formatMessages');
  }
}

/** Render a chat template for `where` (what messages name: `steps[0]`). */
export function renderChatTemplate(template: ChatPromptTemplate, values: object, where: string): ChatMessage[] {
  const missing = missingVariables(template.variables, values);
  if (missing.length > 0) throw new InvalidRequestError(`${where}: no value for the variable${missing.length === 1 ? '' : 's'} ${variableList(missing)}`);
  const templates = TEMPLATES.get(template)!;
  const out: ChatMessage[] = [];
  let length = 0;
  for (let index = 0; index < templates.length; index++) {
    const content = renderTemplate(templates[index]!, values, where);
    length += content.length;
    if (length > MAX_RENDERED_CHARS) throw new InvalidRequestError(`${where}: the rendered messages are longer than ${MAX_RENDERED_CHARS} characters`);
    out.push({ role: template.messages[index]!.role, content } as ChatMessage);
  }
  return out;
}
