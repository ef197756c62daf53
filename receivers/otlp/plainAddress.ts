/**
 * A peer's address as documented (docs/receiver.md §3, `audit.client.address`): an IPv4 peer of a
 * dual-stack listener (`[::]`) is reported by Node as `::ffff:127.0.0.1`; it is recorded as `127.0.0.1`,
 * as on an IPv4 listener, so one client has one address whatever the listen address.
 */
export function plainAddress(address: string): string;
export function plainAddress(address: string | undefined): string | undefined;
export function plainAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const v4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return v4 ? v4[1] : address;
}
