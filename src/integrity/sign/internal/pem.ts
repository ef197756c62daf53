/**
 * PEM text handling shared by the key loaders: undo base64-of-PEM (as the
 * Collector contrib `signing` processor's providers accept it), normalize
 * line endings, and split the text into labelled blocks.
 */

const BEGIN = '-----BEGIN';
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\n[\s\S]*?\n-----END \1-----/g;
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface PemBlock {
  readonly label: string;
  /** The whole block, BEGIN and END lines included. */
  readonly pem: string;
}

/**
 * The PEM text of `raw`: as is when it starts with `-----BEGIN` (after
 * trimming), else its base64 decoding when that decodes to PEM (line breaks
 * in the base64 are ignored, as Go's decoder does); CRLF and CR become LF.
 */
export function pemText(raw: string): string {
  let text = raw.trim();
  if (!text.startsWith(BEGIN)) {
    const compact = text.replace(/[\r\n]/g, '');
    if (compact.length > 0 && STANDARD_BASE64.test(compact)) {
      const decoded = Buffer.from(compact, 'base64').toString('utf8').trim();
      if (decoded.startsWith(BEGIN)) text = decoded;
    }
  }
  return text.replace(/\r\n?/g, '\n');
}

/** Every complete PEM block of `text`, in order. */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1] as string, pem: m[0] }));
}

/** Strict standard base64 (padding required; CR/LF ignored) → bytes, or undefined. */
export function decodeStandardBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (!STANDARD_BASE64.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}
