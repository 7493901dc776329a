/**
 * The claim an archive run or a restore holds on a campaign: `archiving` (its owner) and
 * `archivingUntil` (ms) in the campaign's control-state hash. While it is there, REGISTER refuses,
 * RESET_FAILED refuses and DELIVER defers (packages/queue/src/ledger-scripts.ts).
 * KEYS: state. ARGV: owner. Gives the claim up, if it is still this owner's.
 */
export const RELEASE_CLAIM = `
if redis.call('HGET', KEYS[1], 'archiving') == ARGV[1] then redis.call('HDEL', KEYS[1], 'archiving', 'archivingUntil') end
return 1
`;

/** KEYS: state. ARGV: owner, until (ms). Extends the claim's lease, if it is still this owner's (1; else 0). */
export const RENEW_CLAIM = `
if redis.call('HGET', KEYS[1], 'archiving') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'archivingUntil', ARGV[2])
return 1
`;
