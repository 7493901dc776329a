// What every benchmark sends: one account on the simulator, one message body, distinct Indian
// mobile numbers (+9198…, valid for libphonenumber's full metadata), and a CSV of them.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export const SID = 'HXBENCH000000001';
export const API_KEY = 'bench-api-key-0123456789';
export const SENDER = '+919000000000';
export const ACCOUNT = 'bench';
export const BODY = 'Your order #12345 has shipped. Track it at https://example.com/t/12345 — reply STOP to opt out.';

/** The i-th of 100 million distinct numbers (7919 is prime to 10^8, so i → number is one-to-one). */
export const recipient = (i: number) => `+9198${String((i * 7919 + 12345) % 100_000_000).padStart(8, '0')}`;

const NAMES = ['Asha', 'Ravi', 'Meera', 'Arjun', 'Priya', 'Kiran', 'Neha', 'Vikram', 'Divya', 'Rahul', 'Sana'];
const CITIES = ['Pune', 'Delhi', 'Mumbai', 'Chennai', 'Kolkata', 'Jaipur', 'Surat', 'Indore', 'Bhopal', 'Nagpur', 'Kochi', 'Agra', 'Patna'];
/** The columns of the personalised CSV after `to`, and the values of the i-th row (three short values). */
export const VAR_COLUMNS = ['name', 'order', 'city'] as const;
export const recipientVars = (i: number): string[] => [NAMES[i % NAMES.length]!, `A-${4711 + (i % 9000)}`, CITIES[i % CITIES.length]!];

/**
 * A CSV with a `to` header and `n` distinct numbers, written in 64 KiB pieces; `vars` adds the
 * columns `name,order,city` (recipientVars).
 */
export async function writeRecipientsCsv(path: string, n: number, options: { vars?: boolean } = {}): Promise<void> {
  const out = createWriteStream(path);
  let buf = options.vars ? `to,${VAR_COLUMNS.join(',')}\n` : 'to\n';
  for (let i = 0; i < n; i++) {
    buf += options.vars ? `${recipient(i)},${recipientVars(i).join(',')}\n` : `${recipient(i)}\n`;
    if (buf.length >= 65_536) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

/** Rows for Producer.enqueueCampaign without a file (the e2e and rate-limited prefill). */
export function* recipientRows(n: number, start = 0): Generator<{ to: string }> {
  for (let i = start; i < start + n; i++) yield { to: recipient(i) };
}
