/** Loads testdata/integrity/merkle/rfc6962-vectors.json (see its `source` field). */
import { readFileSync } from 'node:fs';

export type NodeId = readonly [level: number, index: number];
/** One proof element: a node, or an ephemeral node folded from several. */
export type ShapeElement = readonly NodeId[];

export interface Rfc6962Vectors {
  readonly hasher: readonly {
    readonly kind: 'emptyRoot' | 'leaf' | 'node';
    readonly description: string;
    readonly hash: string;
    readonly leafData?: string;
    readonly left?: string;
    readonly right?: string;
  }[];
  readonly leaves: readonly string[];
  readonly nodeHashes: { readonly levels: readonly (readonly string[])[] };
  readonly roots: readonly { readonly treeSize: number; readonly rootHash: string }[];
  readonly inclusionProofs: readonly {
    readonly leafIndex: number;
    readonly treeSize: number;
    readonly inclusionPath: readonly string[];
  }[];
  readonly consistencyProofs: readonly {
    readonly first: number;
    readonly second: number;
    readonly consistencyPath: readonly string[];
  }[];
  readonly proofShapes: {
    readonly inclusion: readonly {
      readonly leafIndex: number;
      readonly treeSize: number;
      readonly path: readonly ShapeElement[];
    }[];
    readonly consistency: readonly {
      readonly first: number;
      readonly second: number;
      readonly path: readonly ShapeElement[];
    }[];
  };
}

const FILE = new URL('../../../../testdata/integrity/merkle/rfc6962-vectors.json', import.meta.url);

export function loadVectors(): Rfc6962Vectors {
  return JSON.parse(readFileSync(FILE, 'utf8')) as Rfc6962Vectors;
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
