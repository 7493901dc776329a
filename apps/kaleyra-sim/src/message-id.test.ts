import { createMessageIdGenerator, MESSAGE_ID_PATTERN } from './message-id.js';

test('ids look like Kaleyra\'s: A + 19 uppercase alphanumerics', () => {
  const next = createMessageIdGenerator();
  const id = next();
  expect(id).toMatch(MESSAGE_ID_PATTERN);
  expect(id).toHaveLength(20);
});

test('ids are unique within a generator and across generators', () => {
  const a = createMessageIdGenerator();
  const b = createMessageIdGenerator();
  const ids = new Set<string>();
  for (let i = 0; i < 50_000; i++) {
    ids.add(a());
    ids.add(b());
  }
  expect(ids.size).toBe(100_000);
});
