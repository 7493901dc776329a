import { countCodePoints, MAX_BODY_CHARS } from '@wabulk/kaleyra';

/**
 * Personalised text: `{{column}}` is replaced by the recipient's value of that column (CSV) or
 * field (NDJSON, the API's `variables`); `{{column|fallback}}` by `fallback` when the value is
 * empty. Nothing else: no escaping (this is WhatsApp text, not HTML), no conditions, no nesting, and
 * a value is inserted as it is (a `{{x}}` inside a value stays text). The same template and values
 * always render the same text: the intake renders each recipient once to check it, the worker
 * renders it again just before the send.
 *
 * Syntax: `{{` name [`|` fallback] `}}`. The name is trimmed and holds no `{`, `}` or `|`; the
 * fallback is taken as written (up to the closing `}}`, no braces). A `{{` that does not form a
 * placeholder is text.
 */
export interface Placeholder {
  name: string;
  fallback?: string;
}

export interface Template {
  /** Text and placeholders, in order. */
  parts: ReadonlyArray<string | Placeholder>;
  /** Distinct placeholder names, in order of first appearance: the values a recipient carries. */
  names: readonly string[];
}

const PLACEHOLDER = /\{\{\s*([^{}|]*?)\s*(?:\|([^{}]*))?\}\}/g;

export function parseTemplate(body: string): Template {
  const parts: Array<string | Placeholder> = [];
  const names: string[] = [];
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (name === '') continue; // `{{}}` / `{{|x}}` name nothing: text
    if (m.index > last) parts.push(body.slice(last, m.index));
    parts.push(m[2] === undefined ? { name } : { name, fallback: m[2] });
    if (!names.includes(name)) names.push(name);
    last = m.index + m[0].length;
  }
  if (last < body.length) parts.push(body.slice(last));
  return { parts, names };
}

/** The distinct placeholder names of a message text (the columns an import must have). */
export const placeholderNames = (body: string): readonly string[] => parseTemplate(body).names;

export type RenderResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * The text for one recipient; `values[i]` is the value of `template.names[i]` (missing or '' =
 * empty). Refused, with a reason that names the placeholder or the limit, when an empty value has
 * no fallback or the text is empty or longer than Kaleyra's 4,096 characters.
 */
export function renderTemplate(template: Template, values: readonly (string | undefined)[] = []): RenderResult {
  let text = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = values[template.names.indexOf(part.name)] ?? '';
    if (value !== '') text += value;
    else if (part.fallback !== undefined) text += part.fallback;
    else return { ok: false, reason: `empty {{${part.name}}}: the row has no value for it and the placeholder no fallback ({{${part.name}|…}})` };
  }
  if (text.trim() === '') return { ok: false, reason: 'the message renders empty for this row' };
  const chars = countCodePoints(text);
  // The label intake counts rejections under (and the metric's `reason`) is the text before " for ":
  // the length comes after it, so every over-long row is counted under one label.
  if (chars > MAX_BODY_CHARS) return { ok: false, reason: `the message is too long for this row: it renders to ${chars} characters, over Kaleyra's ${MAX_BODY_CHARS}` };
  return { ok: true, text };
}

/** The values of `names` taken from a record (a row's columns, an API recipient's `variables`). */
export function valuesOf(names: readonly string[], vars: Readonly<Record<string, string>> | undefined): string[] {
  return names.map((n) => vars?.[n] ?? '');
}
