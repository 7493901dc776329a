import { bodySchema, enqueueTextSchema, isStorableText, messageFieldsSchema, parseOrThrow, STORABLE_TEXT_RULE, ValidationError, variablesSchema } from './validation.js';

const RULE = STORABLE_TEXT_RULE;
/** The issues parseOrThrow names, as `field: message` lines (none: it parsed). */
function issues(schema: Parameters<typeof parseOrThrow>[0], input: unknown): string[] {
  try {
    parseOrThrow(schema, input);
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.issues.map((i) => `${i.field}: ${i.message}`);
  }
}

describe('isStorableText', () => {
  test.each([
    ['plain', 'Hello', true],
    ['astral (a surrogate pair)', 'Hi 😀 𝕏', true],
    ['other controls', 'a\u0001b\u007f\u0085', true],
    ['U+FFFD', 'x\uFFFDy', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud800', false],
    ['a lone low surrogate', '\udc00b', false],
    ['a reversed pair', '\ude00\ud83d', false],
  ])('%s', (_what, text, ok) => expect(isStorableText(text)).toBe(ok));
});

describe('intake refuses text PostgreSQL cannot store, naming the field', () => {
  test.each([
    ['NUL', 'Hello\u0000'],
    ['a lone surrogate', 'Hello \ud800'],
  ])('body with %s', (_what, body) => {
    expect(issues(bodySchema, body)).toEqual([`(input): ${RULE}`]);
    expect(issues(enqueueTextSchema, { to: '+919876543210', body })).toEqual([`body: ${RULE}`]);
    expect(issues(messageFieldsSchema, { body })).toEqual([`body: ${RULE}`]);
  });

  test.each(['ref', 'ref1', 'ref2'])('campaign %s', (field) => {
    expect(issues(messageFieldsSchema, { body: 'x', [field]: 'order\u0000' })).toEqual([`${field}: ${RULE}`]);
    expect(issues(enqueueTextSchema, { to: '+919876543210', body: 'x', [field]: '\udfff' })).toEqual([`${field}: ${RULE}`]);
  });

  test('variables: values of the call and of each recipient, and names', () => {
    expect(issues(variablesSchema, { name: 'A\u0000' })).toEqual([`name: ${RULE}`]);
    expect(issues(enqueueTextSchema, { to: '+919876543210', body: 'Hi {{name}}', variables: { name: 'x\ud800' } })).toEqual([`variables.name: ${RULE}`]);
    expect(issues(enqueueTextSchema, { to: ['+919876543210', { to: '+919876543211', variables: { name: 'x\u0000' } }], body: 'Hi {{name}}' })).toEqual([`to.1.variables.name: ${RULE}`]);
    expect(issues(variablesSchema, { 'a\u0000': 'x' })).toEqual([`(input): a variable name ${RULE}`]);
    expect(issues(enqueueTextSchema, { to: '+919876543210', body: 'Hi', variables: { '\ud800': 'x' } })).toEqual([`variables: a variable name ${RULE}`]);
  });

  test('well-formed text passes as before: astral characters, controls other than NUL, numbers as variables', () => {
    expect(issues(enqueueTextSchema, { to: '+919876543210', body: 'Hi {{name}} 😀\u0001', ref: '👩‍👩‍👧', variables: { name: 'Ä', n: 3 } })).toEqual([]);
  });

  test('the message names every field at fault', () => {
    expect(() => parseOrThrow(enqueueTextSchema, { to: '+919876543210', body: 'x\u0000', ref1: '\ud800' })).toThrow(`body: ${RULE}; ref1: ${RULE}`);
  });
});
