import { codePointLength, isJsonContentType, normalisePhone, truncateRef, validateSendPayload } from './validate-send.js';

/** The seed's sample request body, masked digits filled in. */
const sample = {
  messaging_object: {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '+919876543210',
    type: 'text',
    text: { preview_url: 'false', body: 'This is the sample message' },
  },
  extra_info: { ref: 'customer1', ref1: 'marketing', ref2: 'dictionary', wa_source: 'api' },
};

type Payload = Record<string, unknown>;
function withObject(patch: Payload, text?: Payload): string {
  const mo = { ...sample.messaging_object, text: { ...sample.messaging_object.text, ...text }, ...patch };
  return JSON.stringify({ ...sample, messaging_object: mo });
}
function without(key: string): string {
  const mo: Payload = { ...sample.messaging_object };
  delete mo[key];
  return JSON.stringify({ ...sample, messaging_object: mo });
}

describe('validateSendPayload accepts', () => {
  test('the seed sample request', () => {
    expect(validateSendPayload(JSON.stringify(sample))).toEqual({
      ok: true,
      value: { recipients: ['919876543210'], body: 'This is the sample message', previewUrl: false, ref: 'customer1', ref1: 'marketing', ref2: 'dictionary' },
    });
  });
  test.each([
    ['boolean false', false, false], ['boolean true', true, true], ['string "false"', 'false', false], ['string "true"', 'true', true],
  ])('preview_url as %s', (_name, value, expected) => {
    const r = validateSendPayload(withObject({}, { preview_url: value }));
    expect(r.ok && r.value.previewUrl).toBe(expected);
  });
  test.each(['+919876543210', '919876543210'])('to spelled %s', (to) => {
    const r = validateSendPayload(withObject({ to }));
    expect(r.ok && r.value.recipients).toEqual(['919876543210']);
  });
  test('comma-separated recipients, spaces allowed, in order', () => {
    const r = validateSendPayload(withObject({ to: '+919876543210, 14155550123,919876543210' }));
    expect(r.ok && r.value.recipients).toEqual(['919876543210', '14155550123', '919876543210']);
  });
  test('the optional fields left out (recipient_type, type, preview_url, extra_info)', () => {
    const body = JSON.stringify({ messaging_object: { messaging_product: 'whatsapp', to: '919876543210', text: { body: 'hi' } } });
    expect(validateSendPayload(body)).toEqual({
      ok: true, value: { recipients: ['919876543210'], body: 'hi', previewUrl: false, ref: null, ref1: null, ref2: null },
    });
  });
  test('a body of exactly 4096 code points, emoji counted once', () => {
    expect(validateSendPayload(withObject({}, { body: '😀'.repeat(4096) })).ok).toBe(true);
    expect(validateSendPayload(withObject({}, { body: 'a'.repeat(4096) })).ok).toBe(true);
  });
  test('refs longer than 255 characters are truncated, not rejected', () => {
    const r = validateSendPayload(JSON.stringify({ ...sample, extra_info: { ref: 'x'.repeat(300) } }));
    expect(r.ok && r.value.ref).toBe('x'.repeat(255));
  });
});

describe('validateSendPayload rejects (WA400)', () => {
  test.each<[string, string]>([
    ['invalid JSON', '{"messaging_object":'],
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['messaging_object missing', JSON.stringify({ extra_info: {} })],
    ['messaging_object not an object', JSON.stringify({ messaging_object: 'x' })],
    ['messaging_product missing', without('messaging_product')],
    ['messaging_product not whatsapp', withObject({ messaging_product: 'sms' })],
    ['messaging_product in capitals', withObject({ messaging_product: 'WhatsApp' })],
    ['to missing', without('to')],
    ['to empty', withObject({ to: '' })],
    ['to a number', withObject({ to: 919876543210 })],
    ['to with letters', withObject({ to: '+91XXXXXXXXXX' })],
    ['to too short', withObject({ to: '12345' })],
    ['to too long', withObject({ to: '1234567890123456' })],
    ['to starting with 0', withObject({ to: '0919876543210' })],
    ['to with an empty recipient', withObject({ to: '919876543210,,14155550123' })],
    ['to with a bad second recipient', withObject({ to: '919876543210,abc' })],
    ['text missing', without('text')],
    ['text.body missing', JSON.stringify({ messaging_object: { ...sample.messaging_object, text: { preview_url: false } } })],
    ['text not an object', withObject({ text: 'hello' })],
    ['text.body empty', withObject({}, { body: '' })],
    ['text.body not a string', withObject({}, { body: 42 })],
    ['text.body over 4096 code points', withObject({}, { body: 'a'.repeat(4097) })],
    ['text.body over 4096 code points (emoji)', withObject({}, { body: '😀'.repeat(4097) })],
    ['type other than text', withObject({ type: 'image' })],
    ['recipient_type other than individual', withObject({ recipient_type: 'group' })],
    ['preview_url "yes"', withObject({}, { preview_url: 'yes' })],
    ['preview_url 1', withObject({}, { preview_url: 1 })],
    ['preview_url "TRUE"', withObject({}, { preview_url: 'TRUE' })],
    ['extra_info not an object', JSON.stringify({ ...sample, extra_info: 'x' })],
    ['ref not a string', JSON.stringify({ ...sample, extra_info: { ref: 5 } })],
  ])('%s', (_name, raw) => {
    const r = validateSendPayload(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toEqual(expect.any(String));
  });
});

test('isJsonContentType: application/json with any case and parameters, nothing else', () => {
  expect(isJsonContentType('application/json')).toBe(true);
  expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
  expect(isJsonContentType(' application/json ;charset=UTF-8')).toBe(true);
  for (const bad of [undefined, '', 'text/plain', 'application/jsonx', 'application/x-www-form-urlencoded', 'application/json-patch+json']) {
    expect(isJsonContentType(bad)).toBe(false);
  }
});

test('normalisePhone: E.164 with or without +, digits out', () => {
  expect(normalisePhone('+919876543210')).toBe('919876543210');
  expect(normalisePhone(' 919876543210 ')).toBe('919876543210');
  for (const bad of ['', '+', '91 98765 43210', '+91-9876543210', '0091987654321', 'abc']) expect(normalisePhone(bad)).toBeNull();
});

test('codePointLength and truncateRef count astral characters once', () => {
  expect(codePointLength('a😀b')).toBe(3);
  expect(codePointLength('\ud83d')).toBe(1); // lone surrogate
  const ref = truncateRef('😀'.repeat(300));
  expect(codePointLength(ref)).toBe(255);
  expect(ref.endsWith('\ud83d')).toBe(false);
});
