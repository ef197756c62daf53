/**
 * The key store's two file formats (JSON, UTF-8, one object per file):
 *
 *   store.json:
 *     {"format":"otel-audit-key-store","version":1,"master_key_id":"<16 hex>","index_key":"<sealed>"}
 *   keys/<ref[0..2]>/<ref>.json, one per data subject:
 *     {"format":"otel-audit-data-key","version":1,"key_id":"<ref>.<12 hex>",
 *      "master_key_id":"<16 hex>","wrapped":"<sealed>","created":"<RFC 3339>"}
 *   keys/<ref[0..2]>/<key_id>.json, the same format: a key of the subject that
 *     lost the race for <ref>.json (two processes created the subject's first
 *     key at once, and this one had already encrypted with it: KeyStore.ts).
 *     Found by id (decryption), destroyed with the subject; never used for
 *     new records.
 *
 * `sealed` is unpadded base64url of AES-256-GCM nonce || ciphertext || tag of
 * the 32-byte key under the master key `master_key_id`, with associated data
 * "otel-audit key store v1" + ["index key"] or + ["data key", key_id] — so an
 * entry cannot be renamed or copied to another subject.
 */
import path from 'node:path';
import { KeyStoreCorruptError } from '../errors.ts';
import { KEY_ID_PATTERN } from '../SecretKey.ts';
import { fromBase64Url } from './base64url.ts';

export const STORE_FILE = 'store.json';
export const KEYS_DIR = 'keys';
export const STORE_FORMAT = 'otel-audit-key-store';
export const ENTRY_FORMAT = 'otel-audit-data-key';
export const FORMAT_VERSION = 1;
export const STORE_FILE_BYTES_MAX = 4096;
export const DATA_KEY_ID_PATTERN = /^([0-9a-f]{32})\.[0-9a-f]{12}$/;
export const SUBJECT_REF_PATTERN = /^[0-9a-f]{32}$/;
export const WRAP_AAD_LABEL = 'otel-audit key store v1';

/** `<dir>/keys/<ref[0..2]>/<ref>.json`: 256 shards keep directories small. */
export function entryPath(directory: string, ref: string): string {
  return path.join(directory, KEYS_DIR, ref.slice(0, 2), `${ref}.json`);
}

/** `<dir>/keys/<ref[0..2]>/<key id>.json`: a key of the subject kept beside its current entry. */
export function alternateEntryPath(directory: string, keyId: string): string {
  return path.join(directory, KEYS_DIR, keyId.slice(0, 2), `${keyId}.json`);
}

/** True for the file name of an alternate entry of `ref` (`<ref>.<12 hex>.json`). */
export function isAlternateEntryName(name: string, ref: string): boolean {
  return name.length === ref.length + 18 && name.startsWith(`${ref}.`) && name.endsWith('.json');
}

/**
 * Bytes that every entry file holding a key of `ref` contains (`entryFileBytes` writes compact JSON,
 * `key_id` before `wrapped`): how a shred recognises the subject's key in a leftover temporary file,
 * even one a crash cut short.
 */
export function entryKeyIdMarker(ref: string): string {
  return `"key_id":"${ref}.`;
}

export interface StoreFile {
  readonly masterKeyId: string;
  readonly indexKey: Buffer;
}

export interface EntryFile {
  readonly keyId: string;
  readonly masterKeyId: string;
  readonly wrapped: Buffer;
  readonly created: string;
}

export function storeFileBytes(f: StoreFile): Buffer {
  return json({
    format: STORE_FORMAT,
    version: FORMAT_VERSION,
    master_key_id: f.masterKeyId,
    index_key: f.indexKey.toString('base64url'),
  });
}

export function entryFileBytes(f: EntryFile): Buffer {
  return json({
    format: ENTRY_FORMAT,
    version: FORMAT_VERSION,
    key_id: f.keyId,
    master_key_id: f.masterKeyId,
    wrapped: f.wrapped.toString('base64url'),
    created: f.created,
  });
}

export function parseStoreFile(bytes: Buffer, file: string): StoreFile {
  const o = object(bytes, file, STORE_FORMAT);
  return { masterKeyId: masterKeyId(o, file), indexKey: sealed(o, 'index_key', file) };
}

export function parseEntryFile(bytes: Buffer, file: string): EntryFile {
  const o = object(bytes, file, ENTRY_FORMAT);
  const keyId = o['key_id'];
  if (typeof keyId !== 'string' || !DATA_KEY_ID_PATTERN.test(keyId)) corrupt(file, 'bad key_id');
  const created = o['created'];
  return {
    keyId,
    masterKeyId: masterKeyId(o, file),
    wrapped: sealed(o, 'wrapped', file),
    created: typeof created === 'string' ? created : '',
  };
}

function object(bytes: Buffer, file: string, format: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(bytes.toString('utf8'));
  } catch {
    corrupt(file, 'not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) corrupt(file, 'not a JSON object');
  const record = o as Record<string, unknown>;
  if (record['format'] !== format) corrupt(file, `format is not "${format}"`);
  if (record['version'] !== FORMAT_VERSION) {
    corrupt(
      file,
      `version ${String(record['version'])} is not supported (this build reads ${FORMAT_VERSION})`,
    );
  }
  return record;
}

function masterKeyId(o: Record<string, unknown>, file: string): string {
  const id = o['master_key_id'];
  if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) corrupt(file, 'bad master_key_id');
  return id;
}

function sealed(o: Record<string, unknown>, name: string, file: string): Buffer {
  const text = o[name];
  const bytes = typeof text === 'string' ? fromBase64Url(text) : undefined;
  if (bytes === undefined) corrupt(file, `bad ${name}`);
  return bytes;
}

function json(value: Record<string, unknown>): Buffer {
  return Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
}

function corrupt(file: string, problem: string): never {
  throw new KeyStoreCorruptError(`key store file ${file}: ${problem}`);
}
