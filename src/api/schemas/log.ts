/** Schemas of the tamper-evident log routes (design §8): checkpoints, entries with bytes, proofs, export. */
import { Type } from '@fastify/type-provider-typebox'
import { Strict } from './common.ts'
import { EntrySummary } from './audit.ts'

const Base64 = Type.String({ description: 'base64 (RFC 4648 §4)' })
const Count = Type.String({ pattern: '^[0-9]{1,15}$' })

export const Cosignature = Type.Object({
  witness: Type.String({ description: 'the witness\'s key name' }),
  keyId: Type.String({ description: 'the witness key\'s 4-byte key ID, hex' }),
  cosignedAt: Type.String({ description: 'the cosignature\'s own timestamp, RFC 3339' }),
  signature: Type.String({
    description: 'the C2SP tlog-cosignature (cosignature/v1) signature line, as appended to note'
  })
})

export const CheckpointResponse = Type.Object({
  origin: Type.String(),
  size: Type.Integer(),
  root: Base64,
  note: Type.String({
    description: 'The C2SP tlog-checkpoint signed note: the log\'s signature, then the witnesses\' cosignature ' +
      'lines (readers that do not know a witness\'s key ignore its line)'
  }),
  createdAt: Type.String(),
  cosignatures: Type.Array(Cosignature, {
    description: 'the witnesses\' cosignatures of this checkpoint received so far (design §14.5)'
  })
})

export const CheckpointKeyResponse = Type.Object({
  origin: Type.String(),
  verifierKey: Type.String({ description: 'signed-note verifier key: <name>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>' }),
  publicKey: Type.String({ description: 'raw 32-byte Ed25519 public key, base64' })
})

export const IndexParams = Type.Object({ index: Count }, Strict)

export const EntryWithLeaf = Type.Object({
  entry: EntrySummary,
  leaf: Type.String({ description: 'the entry\'s canonical bytes (RFC 8785), base64: leafHash = SHA-256(0x00 ‖ leaf)' }),
  leafHash: Base64
})

export const InclusionQuery = Type.Object({ index: Count, size: Type.Optional(Count) }, Strict)
export const InclusionResponse = Type.Object({
  index: Type.Integer(),
  size: Type.Integer(),
  leafHash: Base64,
  proof: Type.Array(Base64, { description: 'RFC 9162 §2.1.3 inclusion path, leaf to root' })
})

export const ConsistencyQuery = Type.Object({ from: Count, to: Count }, Strict)
export const ConsistencyResponse = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  proof: Type.Array(Base64, { description: 'RFC 9162 §2.1.4 consistency proof' })
})

export const ExportQuery = Type.Object({
  format: Type.Union([Type.Literal('jsonl'), Type.Literal('csv')]),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 }))
}, Strict)
