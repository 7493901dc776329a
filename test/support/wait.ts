/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function waitFor<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'} (last value: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
