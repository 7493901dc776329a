import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PREFIX_LENGTH = 8;
const COUNTER_LENGTH = 11; // 36^11 ≈ 1.3e17 ids per generator

/**
 * Ids shaped like Kaleyra's sample "AXXXXXXXXXXXXXXXXXXX": 'A' + 19 uppercase alphanumerics.
 * A random prefix per generator (so two simulators do not collide) + a base-36 counter (so ids are
 * unique within one simulator and cost one toString per message).
 */
export function createMessageIdGenerator(): () => string {
  const bytes = randomBytes(PREFIX_LENGTH);
  let prefix = 'A';
  for (const b of bytes) prefix += ALPHABET[b % 36];
  let counter = 0;
  return () => {
    counter += 1;
    return prefix + counter.toString(36).toUpperCase().padStart(COUNTER_LENGTH, '0');
  };
}

export const MESSAGE_ID_PATTERN = /^A[0-9A-Z]{19,}$/;
