/**
 * The Ed25519 keys that sign the messages between the hub and a department agent (RFC 9421,
 * design §14.3). The agent's is made on first use in its data directory (`agent.key`, the 32-byte
 * seed in base64url, mode 0600); the hub's is derived from its master key, so every service
 * process signs with the same key and nothing new has to be stored or backed up.
 * A public key travels as base64url of its raw 32 bytes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.ts'
import { ed25519PublicKey, rawPublicKey } from '../crypto/signed-note.ts'

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
export const AGENT_KEY_FILE = 'agent.key'
/** HKDF info of the hub's signing key for agent requests (src/keys/keyring.ts derive). */
export const HUB_KEY_INFO = 'shifou/v1/agent-requests'

export interface SigningKey {
  privateKey: KeyObject
  /** base64url of the raw 32-byte public key */
  publicKey: string
}

export function signingKeyFromSeed (seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes')
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  return { privateKey, publicKey: encodeBase64url(rawPublicKey(privateKey)) }
}

/** The agent's key in `dir`, made there on first use. */
export function agentSigningKey (dir: string): SigningKey {
  const path = join(dir, AGENT_KEY_FILE)
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(path, encodeBase64url(randomBytes(32)) + '\n', { mode: 0o600, flag: 'wx' })
  }
  const seed = decodeBase64url(readFileSync(path, 'utf8').trim())
  if (seed === null || seed.length !== 32) throw new Error(`${path} is not an agent key (base64url of 32 bytes)`)
  return signingKeyFromSeed(seed)
}

/** A public key given as base64url of 32 bytes, or null. */
export function parsePublicKey (text: string): KeyObject | null {
  const raw = decodeBase64url(text.trim())
  if (raw === null || raw.length !== 32) return null
  try {
    return ed25519PublicKey(raw)
  } catch {
    return null
  }
}
