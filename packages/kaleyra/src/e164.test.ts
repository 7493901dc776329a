import { e164Problem, e164Schema, E164_RULE, isE164 } from './e164.js';
import { validateSendText } from './send-text-input.js';
import { createKaleyraClient } from './kaleyra-client.js';

describe('the one E.164 rule', () => {
  test.each([
    ['+6834001', undefined], // Niue: the shortest numbers in use, 7 digits with the country code
    ['6834001', undefined],
    ['+123456789012345', undefined], // 15 digits, E.164's longest
    ['+123456', 'got 6 digits'],
    ['+1234567890123456', 'got 16 digits'],
    ['+0919000000000', 'got a leading 0'],
    ['+91 90000 00000', 'got characters other than digits'],
    ['+', 'got no digits'],
  ])('%s → %s', (value, detail) => {
    expect(e164Problem(value)).toBe(detail === undefined ? undefined : `${E164_RULE}, ${detail}`);
  });

  test('the stored form needs its +; the problem never echoes the number', () => {
    expect(isE164('919000000000')).toBe(true);
    expect(isE164('919000000000', { requirePlus: true })).toBe(false);
    expect(e164Schema({ requirePlus: true }).safeParse('+919000000000').success).toBe(true);
    const problem = e164Problem('+91900000000099999');
    expect(problem).not.toContain('91900000000099999');
  });

  test('recipients and the sender of the client follow it: 7 digits are accepted by both, 16 by neither', async () => {
    expect(validateSendText({ to: '+6834001', body: 'hi' }).to).toBe('+6834001');
    expect(() => validateSendText({ to: '+1234567890123456', body: 'hi' })).toThrow(/to: must be E\.164 .*got 16 digits/);
    const client = createKaleyraClient({ sid: 'S', apiKey: 'k', sender: '+6834001', baseUrl: 'http://127.0.0.1:1' });
    await client.close();
    expect(() => createKaleyraClient({ sid: 'S', apiKey: 'k', sender: '+1234567890123456', baseUrl: 'http://127.0.0.1:1' })).toThrow(/sender: must be E\.164 .*got 16 digits/);
  });
});
