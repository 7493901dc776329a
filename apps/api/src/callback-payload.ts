import { z } from 'zod';
import type { DeliveryUpdate } from '@wabulk/queue';

/** Longest value kept of a callback's free fields (error, error_code, mobile, ref, …): longer ones are cut, not refused. */
export const CALLBACK_FIELD_MAX = 256;

/**
 * A field Kaleyra may send as a string or a number (error_code, timestamp, price), cut to
 * CALLBACK_FIELD_MAX characters: a callback is never refused for a long text (Kaleyra would retry it
 * and the delivery status would be lost), but nothing longer reaches the ledger. `id` and `status` are
 * refused when too long instead: cut, they would name another message or status.
 */
const text = z
  .union([z.string(), z.number()])
  .transform((v) => {
    const s = String(v);
    if (s.length <= CALLBACK_FIELD_MAX) return s;
    const end = /[\ud800-\udbff]/.test(s[CALLBACK_FIELD_MAX - 1]!) ? CALLBACK_FIELD_MAX - 1 : CALLBACK_FIELD_MAX;
    return s.slice(0, end);
  })
  .optional();

/**
 * The fields a Kaleyra callback profile can carry (api-notes.md): id, custom_response, timestamp,
 * mobile, message, status, phone_number, error, error_code, ref, ref1, ref2, price. Only `id` and
 * `status` are needed; unknown fields are allowed (profiles differ).
 */
export const kaleyraCallbackSchema = z.looseObject({
  id: z.union([z.string(), z.number()], { message: 'is required' }).transform(String).pipe(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')),
  status: z.string({ message: 'is required' }).trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters'),
  timestamp: text,
  error: text,
  error_code: text,
  mobile: text,
  phone_number: text,
  ref: text,
  ref1: text,
  ref2: text,
  custom_response: text,
  message: text,
  price: text,
});
export type KaleyraCallback = z.output<typeof kaleyraCallbackSchema>;

/** Metric label for a callback status: Kaleyra's five, anything else 'other'. */
export type CallbackStatusLabel = 'sent' | 'delivered' | 'read' | 'failed' | 'not-sent' | 'other';

export type CallbackAction =
  /** Moves the ledger (if the send is recorded; otherwise kept until it is). */
  | { kind: 'update'; messageId: string; label: CallbackStatusLabel; update: DeliveryUpdate }
  /** `sent`: Kaleyra handed it to WhatsApp; the ledger already says sent. */
  | { kind: 'sent'; messageId: string; label: CallbackStatusLabel }
  /** A status we do not act on. */
  | { kind: 'ignored'; messageId: string; label: CallbackStatusLabel };

/** Kaleyra's timestamp: unix seconds (or ms), or an ISO date; the receive time when absent or unreadable. */
export function callbackTime(timestamp: string | undefined, now: number): number {
  if (timestamp === undefined || timestamp.trim() === '') return now;
  const t = timestamp.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const parsed = Date.parse(t);
  return Number.isNaN(parsed) ? now : parsed;
}

/** What a callback asks of the ledger. The id may be `<message_id>` or `<uuid>:<n>`; the queue's index handles both. */
export function toCallbackAction(cb: KaleyraCallback, now = Date.now()): CallbackAction {
  const status = cb.status.toLowerCase().replace(/_/g, '-');
  const messageId = cb.id;
  const at = callbackTime(cb.timestamp, now);
  switch (status) {
    case 'delivered':
      return { kind: 'update', messageId, label: 'delivered', update: { status: 'delivered', at } };
    case 'read':
      return { kind: 'update', messageId, label: 'read', update: { status: 'read', at } };
    case 'failed':
    case 'not-sent': {
      const update: DeliveryUpdate = { status: 'failed-after-send', at, code: cb.error_code?.trim() || (status === 'not-sent' ? 'NOT_SENT' : 'FAILED') };
      if (cb.error?.trim()) update.reason = cb.error.trim();
      return { kind: 'update', messageId, label: status, update };
    }
    case 'sent':
      return { kind: 'sent', messageId, label: 'sent' };
    default:
      return { kind: 'ignored', messageId, label: 'other' };
  }
}
