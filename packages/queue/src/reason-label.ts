/**
 * Reasons a recipient or a row is rejected for, as the fixed label of the rejected-recipients
 * metric. Reasons quote the input ("read as +98 76543213 (Iran)…", "holds \";Asha\"…", a column's
 * name), so they cannot be labels themselves: every reason maps to one of these, unknown ones to 'other'.
 */
export const REASON_LABELS = [
  'empty',
  'empty recipient column',
  'not a phone number',
  'text beside the number',
  'no country code',
  'unknown country calling code',
  'too short for a phone number',
  'too long for a phone number',
  'wrong length for its country',
  'not a valid number',
  'not valid JSON',
  'must be a JSON object',
  'recipient must be a string',
  'field not text',
  'no recipient',
  'suppressed',
  'empty placeholder',
  'message too long',
  'message renders empty',
  'text not storable',
  'other',
] as const;

export type ReasonLabel = (typeof REASON_LABELS)[number];

const PATTERNS: ReadonlyArray<readonly [RegExp, ReasonLabel]> = [
  [/^empty$/, 'empty'],
  [/^suppressed$/, 'suppressed'],
  [/^empty \{\{/, 'empty placeholder'],
  [/^the message is too long for this row/, 'message too long'],
  [/^the message renders empty/, 'message renders empty'],
  [/^empty "/, 'empty recipient column'],
  [/^not a phone number: holds /, 'text beside the number'],
  [/^not a phone number$/, 'not a phone number'],
  [/^no country code:/, 'no country code'],
  [/^unknown country calling code$/, 'unknown country calling code'],
  [/^too short for a phone number$/, 'too short for a phone number'],
  [/^too long for a phone number$/, 'too long for a phone number'],
  [/^wrong length for its country$/, 'wrong length for its country'],
  [/^read as .*: not a valid number there/s, 'not a valid number'],
  [/^not valid JSON$/, 'not valid JSON'],
  [/^must be a JSON object$/, 'must be a JSON object'],
  [/^".*" must be a string$/s, 'recipient must be a string'],
  [/^field ".*" must be text, a number or true\/false$/s, 'field not text'],
  [/^no recipient$/, 'no recipient'],
  [/^(ref|ref1|ref2|the value of \{\{.*\}\}): must not contain U\+0000 \(NUL\) or unpaired surrogates$/s, 'text not storable'],
];

/** The metric label for a rejection reason: always one of REASON_LABELS. */
export function reasonLabel(reason: string): ReasonLabel {
  for (const [pattern, label] of PATTERNS) if (pattern.test(reason)) return label;
  return 'other';
}
