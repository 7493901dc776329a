import { KaleyraError } from './kaleyra-error.js';
import {
  countCodePoints, MAX_REF_CHARS, toWaSource, truncateCodePoints, validateSendText, WA_SOURCES,
} from './send-text-input.js';

const valid = { to: '+919876543210', body: 'hello' };

function rejection(input: unknown): KaleyraError {
  try {
    validateSendText(input);
  } catch (error) {
    expect(error).toBeInstanceOf(KaleyraError);
    return error as KaleyraError;
  }
  throw new Error('expected validateSendText to throw');
}

describe('validateSendText: to', () => {
  test.each([
    ['+919876543210', '+919876543210'],
    ['919876543210', '+919876543210'],
    ['12345678', '+12345678'], // 8 digits: the shortest allowed
    ['123456789012345', '+123456789012345'], // 15 digits: the longest allowed
  ])('accepts %s and sends %s', (to, sent) => {
    expect(validateSendText({ ...valid, to }).to).toBe(sent);
  });

  test.each([
    ['123456', 'got 6 digits'],
    ['+1234567890123456', 'got 16 digits'],
    ['+0919876543210', 'got a leading 0'],
    ['+91 98765 43210', 'got characters other than digits'],
    ['91-9876543210', 'got characters other than digits'],
    ['++919876543210', 'got characters other than digits'],
    ['', 'got no digits'],
    ['+', 'got no digits'],
  ])('rejects %j (%s) without echoing the number', (to, detail) => {
    const error = rejection({ ...valid, to });
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 0, kind: 'message' });
    expect(error.message).toBe(
      `to: must be E.164 (optional '+', then 7..15 digits, first digit not 0), ${detail}`);
  });

  test('rejects a missing or non-string to', () => {
    expect(rejection({ body: 'x' }).message).toBe('to: must be a string');
    expect(rejection({ body: 'x', to: 919876543210 }).message).toBe('to: must be a string');
  });
});

describe('validateSendText: body', () => {
  test('counts Unicode code points, not UTF-16 units', () => {
    expect(countCodePoints('😀')).toBe(1);
    expect('😀'.length).toBe(2);
    const emoji4096 = '😀'.repeat(4096); // 8192 UTF-16 units, 4096 characters
    expect(validateSendText({ ...valid, body: emoji4096 }).body).toBe(emoji4096);
    expect(rejection({ ...valid, body: `${emoji4096}😀` }).message).toBe('body: must be 1..4096 characters, got 4097');
  });

  test('accepts 1 and 4096 characters', () => {
    expect(validateSendText({ ...valid, body: 'a' }).body).toBe('a');
    expect(validateSendText({ ...valid, body: 'a'.repeat(4096) }).body).toHaveLength(4096);
  });

  test.each([
    ['', 'body: must be 1..4096 characters, got 0'],
    ['a'.repeat(4097), 'body: must be 1..4096 characters, got 4097'],
    ['a'.repeat(5000), 'body: must be 1..4096 characters, got 5000'],
  ])('rejects a body of %#', (body, message) => {
    const error = rejection({ ...valid, body });
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 0, kind: 'message', message });
  });

  test('rejects a missing body', () => {
    expect(rejection({ to: valid.to }).message).toBe('body: must be a string');
  });
});

describe('validateSendText: other fields', () => {
  test('previewUrl defaults to false and must be a boolean', () => {
    expect(validateSendText(valid).previewUrl).toBe(false);
    expect(validateSendText({ ...valid, previewUrl: true }).previewUrl).toBe(true);
    expect(rejection({ ...valid, previewUrl: 'false' }).message).toBe('previewUrl: must be a boolean');
  });

  test('refs longer than 255 characters are truncated, as Kaleyra does', () => {
    const long = 'r'.repeat(300);
    const out = validateSendText({ ...valid, ref: long, ref1: 'x'.repeat(255), ref2: '😀'.repeat(256) });
    expect(out.ref).toBe('r'.repeat(MAX_REF_CHARS));
    expect(out.ref1).toBe('x'.repeat(255));
    expect(out.ref2).toBe('😀'.repeat(255)); // cut on a code point, never inside a surrogate pair
  });

  test('undefined refs stay absent; refs must be strings', () => {
    const out = validateSendText(valid);
    expect(out).not.toHaveProperty('ref');
    expect(out).not.toHaveProperty('ref1');
    expect(out).not.toHaveProperty('ref2');
    expect(rejection({ ...valid, ref1: 42 }).message).toBe('ref1: must be a string');
  });

  test('names every invalid field at once', () => {
    expect(rejection({ to: '0', body: '', ref2: 1 }).message).toBe(
      "to: must be E.164 (optional '+', then 7..15 digits, first digit not 0), got a leading 0; "
      + 'body: must be 1..4096 characters, got 0; ref2: must be a string');
  });

  test('rejects a non-object input', () => {
    expect(rejection(null).message).toBe('input: must be an object');
    expect(rejection('hi').message).toBe('input: must be an object');
  });
});

describe('wa_source', () => {
  test.each(WA_SOURCES.map((source) => [source]))('keeps the documented value %s', (source) => {
    expect(toWaSource(source)).toBe(source);
    expect(validateSendText({ ...valid, waSource: source }).waSource).toBe(source);
  });

  test.each([['API', 'api'], [' Shopify ', 'shopify'], ['mailchimp', 'api'], ['', 'api'], [undefined, 'api']])(
    'maps %j to %s', (input, expected) => {
      expect(toWaSource(input)).toBe(expected);
    });

  test('the per-send value wins over the client default; unknown values become api', () => {
    expect(validateSendText(valid, 'zoho').waSource).toBe('zoho');
    expect(validateSendText({ ...valid, waSource: 'braze' }, 'zoho').waSource).toBe('braze');
    expect(validateSendText({ ...valid, waSource: 'nope' }, 'zoho').waSource).toBe('api');
  });
});

test('truncateCodePoints leaves short strings alone', () => {
  expect(truncateCodePoints('abc', 5)).toBe('abc');
  expect(truncateCodePoints('a😀b', 2)).toBe('a😀');
});
