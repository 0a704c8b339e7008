/** Prompt templates, chat templates and chains (API.md "Prompt templates and chains"). */
export { PromptTemplate, MAX_TEMPLATE_CHARS, MAX_RENDERED_CHARS, type TemplateValue } from './prompt-template.js';
export { ChatPromptTemplate, MAX_TEMPLATE_MESSAGES, type ChatTemplateMessage, type ChatTemplateRole } from './chat-prompt-template.js';
export { Chain, DEFAULT_CHAIN_NAME, type ChainCalls, type ChainOptions, type ChainResult, type ChainRunOptions, type ChainServices } from './chain.js';
export { MAX_CHAIN_STEPS, type ChainPrompt, type ChainStep } from './chain-steps.js';
export type { ChainTelemetry } from './chain-telemetry.js';
