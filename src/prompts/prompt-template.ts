/**
 * Prompt templates (API.md "Prompt templates and chains"): `new PromptTemplate('Explain {concept}.')`.
 * The text is parsed once, at construction, into literal and variable pieces; `format(vars)` only
 * joins them. Only `{identifier}` is a variable: every other brace is literal, so a JSON example in a
 * prompt stays as written. `{{` is a literal `{`, and `}}` a literal `}` where it closes a `{{` (so
 * `{{name}}` renders `{name}` while the end of nested JSON, `{"a": {"b": 1}}`, stays as written).
 * Values are looked up as own properties of the object given (never its prototype) and used as text:
 * nothing is ever evaluated.
 */
import { InvalidRequestError } from '../core/errors.js';
import { excerpt } from '../core/secrets.js';

/** Longest template text: the longest bot system prompt (config/validate-bot.ts), so every one parses. */
export const MAX_TEMPLATE_CHARS = 200_000;
/**
 * Longest text one format() renders. Values may be long (an earlier chain step's answer); the
 * request limits (`limits.maxInputChars`) still apply to the call that sends it.
 */
export const MAX_RENDERED_CHARS = 2_000_000;
/** Names a message lists at most (the rest are counted). */
const MAX_NAMES_SHOWN = 10;
/** How much of a variable name a message shows. */
const NAME_EXCERPT = 64;

/** What a variable may hold: text, or a number rendered as JavaScript writes it. */
export type TemplateValue = string | number;

/** A parsed template: literal text, and variables by name. */
export type TemplatePiece = { literal: string } | { variable: string };

/** `{{`, `}}`, or `{identifier}`: the only brace sequences that mean anything. */
const SYNTAX = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A variable name as messages show it: quoted, at most 64 characters. */
export function variableLabel(name: string): string {
  return `"${excerpt(name, NAME_EXCERPT)}"`;
}

/** `"a", "b" and 3 more`: a bounded list of names for a message. */
export function variableList(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMES_SHOWN).map(variableLabel).join(', ');
  return names.length > MAX_NAMES_SHOWN ? `${shown} and ${names.length - MAX_NAMES_SHOWN} more` : shown;
}

/** Parse template text into pieces and its variables (unique, in order of first appearance). */
export function parseTemplate(text: string): { pieces: TemplatePiece[]; variables: string[] } {
  const pieces: TemplatePiece[] = [];
  const seen = new Set<string>();
  let literal = '';
  let last = 0;
  // `{{` escapes still open: a `}}` is an escape only when it closes one (else it is JSON's end).
  let open = 0;
  for (const match of text.matchAll(SYNTAX)) {
    const at = match.index;
    literal += text.slice(last, at);
    last = at + match[0].length;
    if (match[0] === '{{') {
      literal += '{';
      open++;
    } else if (match[0] === '}}') {
      if (open > 0) {
        literal += '}';
        open--;
      } else {
        literal += '}}';
      }
    } else {
      if (literal) pieces.push({ literal });
      literal = '';
      const name = match[1]!;
      pieces.push({ variable: name });
      seen.add(name);
    }
  }
  literal += text.slice(last);
  if (literal) pieces.push({ literal });
  return { pieces, variables: [...seen] };
}

/** What a value is, for a message that must not show it. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return 'a number that is not finite';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/**
 * Check one variable's value: a string, or a finite number. The message names the variable and the
 * kind of value, never the value. `where` says what is being filled in (`steps[1]`).
 */
export function checkTemplateValue(name: string, value: unknown, where = 'template'): TemplateValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new InvalidRequestError(`${where}: the variable ${variableLabel(name)} must be a string or a finite number, not ${kindOf(value)}`);
}

const NONE_MISSING: readonly string[] = Object.freeze([]);

/** The variables among `names` that `values` has no own property for. */
export function missingVariables(names: readonly string[], values: object): readonly string[] {
  // An index loop: this runs on every render, and array callbacks over frozen arrays are slow in V8.
  let missing: string[] | undefined;
  for (let i = 0; i < names.length; i++) if (!Object.hasOwn(values, names[i]!)) (missing ??= []).push(names[i]!);
  return missing ?? NONE_MISSING;
}

/** The variables object given to format(): a non-null, non-array object. */
export function checkVariables(values: unknown, where: string): object {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new InvalidRequestError(`${where} takes an object of variables, like { concept: 'RAG' }`);
  }
  return values;
}

/** Join parsed pieces with the values (own properties only), bounded to MAX_RENDERED_CHARS. */
function renderPieces(pieces: readonly TemplatePiece[], values: object, where: string): string {
  let out = '';
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    out += 'literal' in piece ? piece.literal : String(checkTemplateValue(piece.variable, (values as Record<string, unknown>)[piece.variable], where));
    if (out.length > MAX_RENDERED_CHARS) throw new InvalidRequestError(`${where}: the rendered text is longer than ${MAX_RENDERED_CHARS} characters`);
  }
  return out;
}

/** Each template's parsed pieces, kept off the public object. */
const PIECES = new WeakMap<PromptTemplate, readonly TemplatePiece[]>();

/**
 * Render a template for `where` (what messages name: `PromptTemplate.format`, `steps[1]`): every
 * variable missing from `values` is named at once; then the pieces are joined.
 */
export function renderTemplate(template: PromptTemplate, values: object, where: string): string {
  const missing = missingVariables(template.variables, values);
  if (missing.length > 0) throw new InvalidRequestError(`${where}: no value for the variable${missing.length === 1 ? '' : 's'} ${variableList(missing)}`);
  return renderPieces(PIECES.get(template)!, values, where);
}

/** A string template with `{identifier}` variables (API.md "Prompt templates and chains"). */
export class PromptTemplate {
  /** The template text as given. */
  readonly template: string;
  /** Variable names, unique, in order of first appearance. */
  readonly variables: readonly string[];

  /** Parse `template` once; InvalidRequestError when it is not a string or longer than MAX_TEMPLATE_CHARS. */
  constructor(template: string) {
    if (typeof template !== 'string') throw new InvalidRequestError('PromptTemplate takes the template text as a string');
    if (template.length > MAX_TEMPLATE_CHARS) throw new InvalidRequestError(`PromptTemplate: the template is longer than ${MAX_TEMPLATE_CHARS} characters`);
    const parsed = parseTemplate(template);
    this.template = template;
    this.variables = Object.freeze(parsed.variables);
    // Not frozen: never handed out, and walked on every render.
    PIECES.set(this, parsed.pieces);
  }

  /**
   * The text with every variable replaced by its value (a string or a finite number). A variable with
   * no value, or a value of another kind, is an InvalidRequestError naming the variable.
   */
  format(values: Readonly<Record<string, unknown>>): string {
    return renderTemplate(this, checkVariables(values, 'PromptTemplate.format'), 'PromptTemplate.format');
  }

  /** The template text (what `template` holds). */
  toString(): string {
    return this.template;
  }
}
