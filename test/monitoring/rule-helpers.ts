/**
 * The rule file as the live test loads it: the same expressions, every `for:` set to 0s so an
 * alert fires on the first evaluation that matches (a test cannot wait 10 minutes). Returns the
 * text and how many `for:` lines it changed.
 */
export function withoutForDurations(rulesText: string): { text: string; changed: number } {
  let changed = 0;
  const text = rulesText.replace(/^(\s+)for: .+$/gm, (_line, indent: string) => {
    changed++;
    return `${indent}for: 0s`;
  });
  return { text, changed };
}

/**
 * The vector selectors of a PromQL expression over wabulk's names: `wabulk_…`, recording rules
 * (`account:…`), `up`, each with its label matchers, and `{__name__=~"…"}` selectors. Evaluated alone, each must return data:
 * that proves the names and labels an alert depends on exist in real output.
 */
export function selectorsOf(expr: string): string[] {
  // A name outside quotes (not a label value), or a `{__name__=~"…"}` selector.
  const found = expr.match(/(?<!["\w:])(?:wabulk_[a-z0-9_]+|account:[a-z0-9_:]+|up)\b(?:\{[^}]*\})?|\{__name__=~"[^"]*"[^}]*\}/g) ?? [];
  return [...new Set(found)];
}
