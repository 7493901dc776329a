import { assertAccountId, CampaignConflictError, InvalidIdError } from '@wabulk/queue';
import { toErrorAnswer } from './error-handler.js';

// Errors of @wabulk/queue that input validation should have stopped before: recognised by class, answered with their field.
test('an invalid id: 400 naming the field', () => {
  let thrown: unknown;
  try {
    assertAccountId('a:b');
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidIdError);
  expect(toErrorAnswer(thrown as InvalidIdError)).toEqual({
    statusCode: 400,
    body: { error: 'invalid request', issues: [{ field: 'account', message: (thrown as InvalidIdError).reason }] },
  });
});

test('a campaign id reused: 409 with the reason, without the field prefix', () => {
  const err = new CampaignConflictError('campaign c1 already exists with a different message; use a new campaign id');
  expect(toErrorAnswer(err)).toEqual({ statusCode: 409, body: { error: 'campaign conflict', message: err.reason } });
});

test('an error of no known class: 500, no detail', () => {
  expect(toErrorAnswer(Object.assign(new Error('x'), { name: 'CampaignConflictError' }))).toEqual({ statusCode: 500, body: { error: 'internal error' } });
});
