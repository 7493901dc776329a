// Every accepted message, in arrival order. Kept lean for million-message runs: one small object per
// message, the receive time as a number, and the previous body/refs reused when a campaign repeats them.

export interface StoredMessage {
  readonly id: string;
  readonly to: string;
  readonly sender: string;
  readonly body: string;
  readonly previewUrl: boolean;
  readonly ref: string | null;
  readonly ref1: string | null;
  readonly ref2: string | null;
  /** Receive time, ms after the store's epoch (a small integer: no heap number per message). */
  readonly at: number;
}

/** The JSON shape served by GET /__sim/messages and returned by Simulator.messages(). */
export interface SimMessage {
  message_id: string;
  /** Recipient, E.164 digits without '+'. */
  to: string;
  /** Business number from the URL path, digits without '+'. */
  sender: string;
  body: string;
  preview_url: boolean;
  ref: string | null;
  ref1: string | null;
  ref2: string | null;
  /** ISO 8601. */
  received_at: string;
}

export function toSimMessage(m: StoredMessage, epoch: number): SimMessage {
  return {
    message_id: m.id, to: m.to, sender: m.sender, body: m.body, preview_url: m.previewUrl,
    ref: m.ref, ref1: m.ref1, ref2: m.ref2, received_at: new Date(epoch + m.at).toISOString(),
  };
}

export interface MessageFields {
  readonly body: string;
  readonly previewUrl: boolean;
  readonly ref: string | null;
  readonly ref1: string | null;
  readonly ref2: string | null;
}

export class MessageStore {
  readonly epoch = Date.now();
  items: StoredMessage[] = [];
  #body = '';
  #ref: string | null = null;
  #ref1: string | null = null;
  #ref2: string | null = null;

  /** Records one message per recipient; `ids[i]` belongs to `recipients[i]`. Reuses the previous body and refs when equal. */
  add(ids: string[], recipients: string[], sender: string, fields: MessageFields, nowMs: number): void {
    const body = fields.body === this.#body ? this.#body : (this.#body = fields.body);
    const ref = fields.ref === this.#ref ? this.#ref : (this.#ref = fields.ref);
    const ref1 = fields.ref1 === this.#ref1 ? this.#ref1 : (this.#ref1 = fields.ref1);
    const ref2 = fields.ref2 === this.#ref2 ? this.#ref2 : (this.#ref2 = fields.ref2);
    const at = nowMs - this.epoch;
    for (let i = 0; i < ids.length; i++) {
      this.items.push({ id: ids[i]!, to: recipients[i]!, sender, body, previewUrl: fields.previewUrl, ref, ref1, ref2, at });
    }
  }

  /** Messages to one recipient (digits, '+' optional). */
  filterTo(to: string): StoredMessage[] {
    const digits = to.trim().replace(/^\+/, '');
    return this.items.filter((m) => m.to === digits);
  }

  clear(): void {
    this.items = [];
  }
}
