import { ConfigError } from './env.js';
import { configuredAccountIds } from './accounts.js';

const file = (text: string) => () => text;

test('configuredAccountIds: the ids of WABULK_ACCOUNTS_FILE (secrets not needed), else WABULK_ACCOUNT when it or KALEYRA_* is set, else none', () => {
  expect(configuredAccountIds({ WABULK_ACCOUNTS_FILE: 'a.json', WABULK_ACCOUNT: 'x' }, file('[{"id":"one"},{"id":"two","sid":"S"},{"id":"one"}]'))).toEqual(['one', 'two']);
  expect(configuredAccountIds({ WABULK_ACCOUNT: 'acme' })).toEqual(['acme']);
  expect(configuredAccountIds({ KALEYRA_SID: 'S' })).toEqual(['default']);
  expect(configuredAccountIds({})).toEqual([]);
  expect(() => configuredAccountIds({ WABULK_ACCOUNTS_FILE: 'a.json' }, file('not json'))).toThrow(ConfigError);
  expect(() => configuredAccountIds({ WABULK_ACCOUNTS_FILE: 'a.json' }, file('[{"id":"a b"}]'))).toThrow(ConfigError);
  expect(() => configuredAccountIds({ WABULK_ACCOUNT: 'a b' })).toThrow(ConfigError);
});
