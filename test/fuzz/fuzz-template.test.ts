import { countCodePoints } from '@wabulk/kaleyra';
import { parseTemplate, renderTemplate } from '@wabulk/queue';
import { fuzzSettings, preview, Rng } from './prng.js';

// The template renderer against an oracle that builds each template from its parts: text without
// braces, and placeholders written with random spacing and an optional fallback. Values come from
// an alphabet with braces, pipes and whole `{{x}}` strings (inserted as they are, never expanded).
// Raw random texts with braces must parse and render the same way twice, and never throw.

const { cases, seed } = fuzzSettings(2000);
const TEXT = 'ab Hi,.\n\t😀é٣|-'.split('');
const VALUE = [...TEXT, '{', '}', '{{x}}', '{{', '}}', '|', ''];
const NAMES = ['name', 'order', 'Phone Number', 'x', 'día', 'a_b'];

type Part = string | { name: string; fallback?: string };

function text(rng: Rng, alphabet: readonly string[], max: number): string {
  let s = '';
  for (let i = rng.int(0, max); i > 0; i--) s += rng.pick(alphabet);
  return s;
}

function oracle(parts: Part[], values: Record<string, string>): { ok: true; text: string } | { ok: false; name?: string; tooLong?: boolean; empty?: boolean } {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if ((values[p.name] ?? '') !== '') out += values[p.name];
    else if (p.fallback !== undefined) out += p.fallback;
    else return { ok: false, name: p.name };
  }
  if (out.trim() === '') return { ok: false, empty: true };
  if (countCodePoints(out) > 4096) return { ok: false, tooLong: true };
  return { ok: true, text: out };
}

test(`renderTemplate agrees with the oracle (${cases} cases, seed ${seed})`, () => {
  const root = new Rng(seed);
  for (let c = 0; c < cases; c++) {
    const rng = root.fork(c);
    const parts: Part[] = [];
    for (let i = rng.int(0, 6); i > 0; i--) {
      if (rng.chance(0.5)) {
        const t = text(rng, TEXT, 8);
        // Two texts in a row are one text (the parser cannot tell them apart).
        if (t !== '') parts.push(t);
      } else {
        parts.push(rng.chance(0.4) ? { name: rng.pick(NAMES), fallback: text(rng, TEXT, 5) } : { name: rng.pick(NAMES) });
      }
    }
    if (rng.chance(0.05)) parts.push('y'.repeat(rng.int(4000, 4100)));
    const sp = () => (rng.chance(0.3) ? ' ' : '');
    const body = parts.map((p) => (typeof p === 'string' ? p : `{{${sp()}${p.name}${sp()}${p.fallback !== undefined ? `|${p.fallback}` : ''}}}`)).join('');
    const values: Record<string, string> = {};
    for (const n of NAMES) if (rng.chance(0.7)) values[n] = text(rng, VALUE, 4);

    const t = parseTemplate(body);
    const got = renderTemplate(t, t.names.map((n) => values[n]));
    const want = oracle(parts, values);
    const where = `case ${c} (seed ${seed}): body ${preview(body, 200)} values ${preview(values, 200)}`;
    expect([where, got.ok]).toEqual([where, want.ok]);
    if (got.ok && want.ok) expect([where, got.text]).toEqual([where, want.text]);
    if (!got.ok && !want.ok && want.name !== undefined) expect([where, got.reason]).toEqual([where, expect.stringContaining(`{{${want.name}}}`)]);
    // Names are the distinct placeholder names in order of first appearance.
    const names = parts.flatMap((p) => (typeof p === 'string' ? [] : [p.name]));
    expect([where, t.names]).toEqual([where, [...new Set(names)]]);
  }
});

test(`any text parses, renders the same twice, and keeps what is no placeholder (${cases} cases, seed ${seed})`, () => {
  const root = new Rng(seed + 1);
  for (let c = 0; c < cases; c++) {
    const rng = root.fork(c);
    const body = text(rng, [...TEXT, '{', '{', '}', '}', '|', 'name', ' '], 40);
    const t = parseTemplate(body);
    const values = t.names.map(() => text(rng, VALUE, 3));
    const a = renderTemplate(t, values);
    const b = renderTemplate(parseTemplate(body), values);
    expect(a).toEqual(b);
    // A body without "{{" has no placeholder: it renders as itself (when not blank).
    if (!body.includes('{{') && body.trim() !== '') expect(a).toEqual({ ok: true, text: body });
  }
});
