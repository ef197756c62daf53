/** Test helper: resolves once `cond()` holds (polled every 10 ms); throws naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
