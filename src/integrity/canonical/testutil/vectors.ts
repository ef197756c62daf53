/** Loads the JSON test vectors of testdata/integrity/vectors/ (shared by the canonical and sign tests). */
import { readFileSync } from 'node:fs';

export const VECTORS_DIR = new URL('../../../../testdata/integrity/vectors/', import.meta.url);

export function readVectorFile(name: string): string {
  return readFileSync(new URL(name, VECTORS_DIR), 'utf8');
}

export function loadVectorJson<T>(name: string): T {
  return JSON.parse(readVectorFile(name)) as T;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
