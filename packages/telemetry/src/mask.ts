/** The text of a logged value: a string or a number; anything else (an object, null) has no digits to show. */
const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** Masks a phone number to its last 4 digits: "+919876543210" → "********3210". */
export function maskPhone(value: unknown): string {
  const s = text(value);
  const digits = s.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return '*'.repeat(digits.length - 4) + digits.slice(-4);
}

/** Masks every run of 5+ digits inside an identifier to its last 4: job ids embed the recipient. */
export function maskDigits(value: unknown): string {
  return text(value).replace(/\d{5,}/g, (d) => '*'.repeat(d.length - 4) + d.slice(-4));
}
