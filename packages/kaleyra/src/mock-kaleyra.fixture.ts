// Test fixture only (excluded from the build): an undici MockAgent standing in for Kaleyra's
// HTTP endpoint, and a client wired to it.
import { MockAgent } from 'undici';
import type { Interceptable } from 'undici';
import { createKaleyraClient } from './kaleyra-client.js';
import type { KaleyraClient } from './kaleyra-client.js';
import type { KaleyraClientOptions } from './client-options.js';

export const SID = 'HXAP16XXXXXX97IN';
export const API_KEY = 'A0123456789abcdefSECRETKEY0123456789x3';
export const SENDER = '+919800000001';
export const IN_ORIGIN = 'https://api.in.kaleyra.io';
export const SEND_PATH = `/v2/${SID}/whatsapp/${SENDER}/messages`;

export interface MockKaleyra {
  agent: MockAgent;
  /** Interceptors for the IN pod's origin. */
  pool: Interceptable;
  client: KaleyraClient;
  /** Interceptors on the send path. */
  intercept: () => ReturnType<Interceptable['intercept']>;
  close: () => Promise<void>;
}

export function mockKaleyra(overrides: Partial<KaleyraClientOptions> = {}): MockKaleyra {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(IN_ORIGIN);
  const client = createKaleyraClient({ sid: SID, apiKey: API_KEY, sender: SENDER, dispatcher: agent, ...overrides });
  return {
    agent,
    pool,
    client,
    intercept: () => pool.intercept({ path: SEND_PATH, method: 'POST' }),
    close: async () => {
      await client.close();
      await agent.close();
    },
  };
}
