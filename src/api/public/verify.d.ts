// Types of verify.js (the browser's verification module), for the TypeScript tests that import it.
export type Failure = { ok: false, reason: string }
export interface ReceiptClaims {
  iss: string
  iat: number
  log: string
  idx: number
  vid: string
  q: string
  p: Record<string, string | number | boolean>
  a: 'yes' | 'no'
  asOf: string
  snap: number
  pur: string
  case: string
  cli: string
  sub_c: string
}
export interface Jwks { keys: unknown[] }
export interface OpenedCheckpoint { ok: true, origin: string, size: number, root: Uint8Array }
export interface VerifierKey { ok: true, name: string, keyId: Uint8Array, publicKey: Uint8Array }

export function decodeBase64 (s: string): Uint8Array | null
export function decodeBase64url (s: string): Uint8Array | null
export function encodeBase64 (bytes: Uint8Array): string
export function encodeBase64url (bytes: Uint8Array): string
export function sha256 (bytes: Uint8Array): Promise<Uint8Array>
export function leafHash (leaf: Uint8Array): Promise<Uint8Array>
export function nodeHash (left: Uint8Array, right: Uint8Array): Promise<Uint8Array>
export function rootFromInclusionProof (
  index: number, size: number, leaf: Uint8Array, proof: Uint8Array[]
): Promise<{ ok: true, root: Uint8Array } | Failure>
export function verifyInclusion (
  index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array
): Promise<boolean>
export function parseVerifierKey (vkey: string): Promise<VerifierKey | Failure>
export function openNote (note: string, vkey: string | VerifierKey): Promise<{ ok: true, text: string } | Failure>
export function openCheckpoint (note: string, vkey: string, origin?: string): Promise<OpenedCheckpoint | Failure>
export function verifyEntry (
  e: { index: number, leaf: string, proof: string[] | null },
  note: string, vkey: string, expect?: { origin?: string, subject?: string }
): Promise<{ ok: true, entry: Record<string, unknown>, checkpoint: OpenedCheckpoint } | Failure>
export function receiptKeys (jwks: unknown): Promise<Map<string, Uint8Array>>
export function verifyReceipt (
  token: string, jwks: Jwks | Map<string, Uint8Array>
): Promise<{ ok: true, kid: string, claims: ReceiptClaims } | Failure>
