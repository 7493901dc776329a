import { parseTemplate, placeholderNames, renderTemplate } from './template.js';

const render = (body: string, vars: Record<string, string>) => {
  const t = parseTemplate(body);
  return renderTemplate(t, t.names.map((n) => vars[n]));
};

describe('message templates', () => {
  it('fills placeholders from the values, with fallbacks for empty ones', () => {
    expect(render('Hi {{name}}, your order {{ order }} ships {{day|today}}.', { name: 'Asha', order: '4711', day: '' })).toEqual({ ok: true, text: 'Hi Asha, your order 4711 ships today.' });
    expect(render('Hi {{name|there}}', {})).toEqual({ ok: true, text: 'Hi there' });
    expect(render('Hi {{name|}}!', {})).toEqual({ ok: true, text: 'Hi !' });
  });

  it('lists each name once, in order of first appearance', () => {
    expect(placeholderNames('{{b}} {{a}} {{b|x}} {{Phone Number}}')).toEqual(['b', 'a', 'Phone Number']);
    expect(placeholderNames('no placeholders {{}} {single} {{|x}}')).toEqual([]);
  });

  it('inserts values as they are: no escaping, no second expansion', () => {
    expect(render('{{a}}', { a: '<b>&{{a}}</b>' })).toEqual({ ok: true, text: '<b>&{{a}}</b>' });
  });

  it('refuses an empty value without a fallback, naming the placeholder', () => {
    const r = render('Hi {{name}}', { name: '' });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('{{name}}') });
  });

  it('refuses a text over 4096 characters, counting code points', () => {
    expect(render('{{a}}', { a: '😀'.repeat(4096) })).toEqual({ ok: true, text: '😀'.repeat(4096) });
    const r = render('x{{a}}', { a: '😀'.repeat(4096) });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('4097 characters') });
  });

  it('leaves text that is no placeholder alone', () => {
    expect(render('{{ {{a}} }} {{a', { a: '1' })).toEqual({ ok: true, text: '{{ 1 }} {{a' });
  });
});
