/**
 * The witness's own Ed25519 key, made on first use in its data directory. The file holds the
 * signer key in the note package's format, as transparency-dev's tools read it:
 *
 *   PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 ‖ 32-byte seed)>
 *
 * (0x04: a cosignature/v1 key, c2sp.org/tlog-cosignature), so the witness's name is fixed with
 * its key: the name is part of every cosignature's key ID.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import {
  type Ed25519Signer, SIGNATURE_TYPE_COSIGNATURE_V1, decodeBase64, ed25519SignerFromSeed, isKeyName, keyId
} from '../crypto/signed-note.ts'

export const KEY_FILE = 'witness.key'

/**
 * The witness key in `dir`. When there is none, one is made if `name` is given. A `name` that
 * differs from the stored key's is refused: it would silently change the witness's identity.
 */
export function witnessKey (dir: string, name?: string): Ed25519Signer {
  const path = join(dir, KEY_FILE)
  if (!existsSync(path)) {
    if (name === undefined) {
      throw new Error(`no witness key in ${dir}: start the witness once with --name NAME to make one`)
    }
    if (!isKeyName(name)) {
      throw new Error('the witness name must be non-empty, without spaces or "+" (e.g. witness.example.org/w1)')
    }
    const seed = randomBytes(32)
    const signer = ed25519SignerFromSeed(name, seed)
    const id = Buffer.from(keyId(name, SIGNATURE_TYPE_COSIGNATURE_V1, signer.publicKey)).toString('hex')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const key = Buffer.concat([Buffer.of(SIGNATURE_TYPE_COSIGNATURE_V1), seed]).toString('base64')
    writeFileSync(path, `PRIVATE+KEY+${name}+${id}+${key}\n`, { mode: 0o600, flag: 'wx' })
    return signer
  }
  const signer = parseSignerKey(readFileSync(path, 'utf8').trim())
  if (signer === null) throw new Error(`${path} is not a cosignature/v1 signer key (PRIVATE+KEY+name+id+key)`)
  if (name !== undefined && name !== signer.name) {
    throw new Error(`the witness key in ${dir} is named ${signer.name}, not ${name}: a witness keeps its name`)
  }
  return signer
}

function parseSignerKey (skey: string): Ed25519Signer | null {
  const parts = skey.split('+')
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') return null
  const name = parts[2]!
  const id = parts[3]!
  const key = decodeBase64(parts.slice(4).join('+'))
  if (!isKeyName(name) || key === null || key.length !== 33 || key[0] !== SIGNATURE_TYPE_COSIGNATURE_V1) return null
  const signer = ed25519SignerFromSeed(name, key.subarray(1))
  if (Buffer.from(keyId(name, SIGNATURE_TYPE_COSIGNATURE_V1, signer.publicKey)).toString('hex') !== id) return null
  return signer
}
