/**
 * Keyed hashing of subjects and field values (design §3, "The construction").
 *
 *   K_c  = HKDF-SHA256(ikm = MK_v, salt = "shifou", info = "shifou/v1/subject/" ‖ connectorId)
 *   subject hash = HMAC-SHA256(K_c, "cn-ric-v1:" ‖ normalisedId)
 *   K_f  = HKDF-SHA256(…, info = "shifou/v1/field/" ‖ connectorId ‖ "/" ‖ field)
 *   field hash   = HMAC-SHA256(K_f, normalisedId ‖ 0x00 ‖ normalisedValue)
 *   K_a  = HKDF-SHA256(…, info = "shifou/v1/audit")
 *   audit pseudonym = HMAC-SHA256(K_a, "cn-ric-v1:" ‖ normalisedId)
 *
 * A connector's keys may be rotated on their own (design §14.2): key version n made by a rotation
 * derives from the master key version it was made under, with "/v" ‖ n appended to each info
 * above ("shifou/v1/subject/" ‖ connectorId ‖ "/v" ‖ n). A key version that no rotation made is a
 * master key version, derived as above without the suffix (every snapshot loaded before rotation).
 *
 * HKDF is RFC 5869, HMAC is RFC 2104, both from @noble/hashes. Keys are derived once and kept as
 * pre-keyed HMAC states: cloning a prepared state into a scratch instance is about 2× a fresh HMAC
 * and 3× a fresh `hmac()` call on this hardware (stack-notes §2: 1.0 M/s against 0.33 M/s). The
 * messages of IDs and short values (at most 55 bytes) take src/crypto/hmac-sha256.ts instead, which has both
 * key blocks compressed and does only the two compressions an HMAC of one block needs: 0.68 µs
 * against 1.13 µs for the cloned @noble state.
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { MAX_SHORT_MESSAGE, ShortHmacSha256 } from '../crypto/hmac-sha256.ts'

const SALT = new TextEncoder().encode('shifou')
const ID_PREFIX = 'cn-ric-v1:'
const encoder = new TextEncoder()

export function deriveKey (masterKey: Uint8Array, info: string): Uint8Array {
  return hkdf(sha256, masterKey, SALT, encoder.encode(info), 32)
}

type HmacState = ReturnType<typeof hmac.create>

/** An HMAC-SHA256 with its key schedule computed once; `mac` is not re-entrant (synchronous use only). */
export class KeyedMac {
  readonly #short: ShortHmacSha256 | null
  readonly #base: HmacState
  readonly #scratch: HmacState
  readonly #buf = new Uint8Array(256)

  constructor (key: Uint8Array) {
    this.#short = key.length <= 64 ? new ShortHmacSha256(key) : null
    this.#base = hmac.create(sha256, key)
    this.#scratch = hmac.create(sha256, key)
  }

  /** HMAC over the UTF-8 of `text`; returns a fresh 32-byte Buffer (a Uint8Array both drivers take as bytea). */
  mac (text: string): Buffer {
    let msg: Uint8Array
    // encodeInto avoids an allocation for the short inputs of the hot path (IDs, names).
    if (text.length * 3 <= this.#buf.length) {
      const { written } = encoder.encodeInto(text, this.#buf)
      msg = this.#buf.subarray(0, written)
    } else {
      msg = encoder.encode(text)
    }
    const out = Buffer.allocUnsafe(32)
    if (this.#short !== null && msg.length <= MAX_SHORT_MESSAGE) {
      this.#short.macInto(msg, out)
      return out
    }
    this.#base._cloneInto(this.#scratch)
    this.#scratch.update(msg).digestInto(out)
    return out
  }

  hex (text: string): string {
    return this.mac(text).toString('hex')
  }
}

/**
 * The derived keys of one connector (K_c and the K_f of named fields), without the master key:
 * what a loader's worker thread needs to hash rows, and nothing more.
 */
export interface ConnectorKeyMaterial {
  connectorId: string
  keyVersion: number
  subject: Uint8Array
  fields: Record<string, Uint8Array>
}

/**
 * Which keys a connector's key version names: `tagged` (made by a rotation) versions derive from
 * master key `master` with the version in their HKDF info; the others are master key `version`.
 */
export interface KeyRef { version: number, master: number, tagged: boolean }

/** The key version of a snapshot loaded without rotation: master key version `v` itself. */
export const masterKeyRef = (v: number): KeyRef => ({ version: v, master: v, tagged: false })

/** Keys of one connector under one key version. */
export class ConnectorKeys {
  readonly connectorId: string
  readonly keyVersion: number
  readonly #subjectKey: Uint8Array
  readonly #subject: KeyedMac
  readonly #fields = new Map<string, KeyedMac>()
  readonly #fieldKey: (field: string) => Uint8Array

  private constructor (
    connectorId: string,
    keyVersion: number,
    subjectKey: Uint8Array,
    fieldKey: (field: string) => Uint8Array
  ) {
    this.connectorId = connectorId
    this.keyVersion = keyVersion
    this.#subjectKey = subjectKey
    this.#subject = new KeyedMac(subjectKey)
    this.#fieldKey = fieldKey
  }

  /**
   * K_c and, on first use, each K_f of `keyVersion`, derived from `masterKey` (the master key of
   * that version, or of the version a rotation made it under: `tagged`, the version in the info).
   */
  static derive (masterKey: Uint8Array, keyVersion: number, connectorId: string, tagged = false): ConnectorKeys {
    const suffix = tagged ? '/v' + keyVersion : ''
    return new ConnectorKeys(connectorId, keyVersion,
      deriveKey(masterKey, 'shifou/v1/subject/' + connectorId + suffix),
      (field) => deriveKey(masterKey, 'shifou/v1/field/' + connectorId + '/' + field + suffix))
  }

  /** The keys of `material`, in a thread that holds no master key: only its fields can be hashed. */
  static fromMaterial (m: ConnectorKeyMaterial): ConnectorKeys {
    return new ConnectorKeys(m.connectorId, m.keyVersion, m.subject, (field) => {
      const key = m.fields[field]
      if (key === undefined) throw new RangeError('no key for field ' + field)
      return key
    })
  }

  /** The derived keys of the subject and of `fields` (see ConnectorKeyMaterial). */
  material (fields: readonly string[]): ConnectorKeyMaterial {
    return {
      connectorId: this.connectorId,
      keyVersion: this.keyVersion,
      subject: this.#subjectKey,
      fields: Object.fromEntries(fields.map((f) => [f, this.#fieldKey(f)]))
    }
  }

  /** Subject hash of a normalised ID (`cn-ric-v1`). */
  subjectHash (normalisedId: string): Buffer {
    return this.#subject.mac(ID_PREFIX + normalisedId)
  }

  /** Field hash (lowercase hex) of a normalised value, bound to the subject. */
  fieldHash (field: string, normalisedId: string, normalisedValue: string): string {
    let mac = this.#fields.get(field)
    if (mac === undefined) {
      mac = new KeyedMac(this.#fieldKey(field))
      this.#fields.set(field, mac)
    }
    return mac.hex(normalisedId + '\u0000' + normalisedValue)
  }
}

/**
 * The audit pseudonym of a subject (lowercase hex) under one master key version, and the keyed
 * tags the abuse detectors count with (design §10): a name tried against a subject, and the
 * 14-digit prefix (region and birth date) of an ID. Each under its own derived key, so none can be
 * matched against another or against a connector's tables.
 */
export class AuditPseudonymiser {
  readonly keyVersion: number
  readonly #mac: KeyedMac
  readonly #name: KeyedMac
  readonly #prefix: KeyedMac

  constructor (masterKey: Uint8Array, keyVersion: number) {
    this.keyVersion = keyVersion
    this.#mac = new KeyedMac(deriveKey(masterKey, 'shifou/v1/audit'))
    this.#name = new KeyedMac(deriveKey(masterKey, 'shifou/v1/audit-name'))
    this.#prefix = new KeyedMac(deriveKey(masterKey, 'shifou/v1/audit-prefix'))
  }

  pseudonym (normalisedId: string): string {
    return this.#mac.hex(ID_PREFIX + normalisedId)
  }

  /** A name tried against one subject: HMAC(K_an, normalisedId ‖ 0x00 ‖ normalisedName). */
  nameTag (normalisedId: string, normalisedName: string): Buffer {
    return this.#name.mac(normalisedId + '\u0000' + normalisedName)
  }

  /** The first 14 digits of a normalised ID (region code and birth date). */
  prefixTag (normalisedId: string): Buffer {
    return this.#prefix.mac(ID_PREFIX + normalisedId.slice(0, 14))
  }
}

/**
 * All keys of the process, derived lazily once per (version, connector) and cached: the master
 * key bytes stay inside this object and never reach a log, an error or the database.
 */
export class Keyring {
  readonly currentVersion: number
  readonly #master: ReadonlyMap<number, Uint8Array>
  readonly #connectors = new Map<string, ConnectorKeys>()
  readonly audit: AuditPseudonymiser

  constructor (masterKeys: ReadonlyMap<number, Uint8Array>) {
    if (masterKeys.size === 0) throw new Error('no master key')
    this.#master = masterKeys
    this.currentVersion = Math.max(...masterKeys.keys())
    // The audit pseudonym uses version 1 for the life of the log, so an auditor's search by ID
    // finds entries written before and after a rotation.
    this.audit = new AuditPseudonymiser(this.#masterKey(1), 1)
  }

  has (version: number): boolean {
    return this.#master.has(version)
  }

  /**
   * A 32-byte key for another purpose, HKDF(master key v1, info). Version 1 like the audit
   * pseudonym: what these keys protect (receipt signing keys, receipt nonces) lives as long as
   * the log does, across master key rotations.
   */
  derive (info: string): Uint8Array {
    return deriveKey(this.#masterKey(1), info)
  }

  /**
   * A connector's keys of one key version: a number is a master key version (a snapshot loaded
   * without rotation); a `KeyRef` names a rotated version too (the registry reads which).
   */
  connector (connectorId: string, version: number | KeyRef): ConnectorKeys {
    const ref = typeof version === 'number' ? masterKeyRef(version) : version
    const cacheKey = (ref.tagged ? 't' + ref.master + '/' : '') + ref.version + '/' + connectorId
    let keys = this.#connectors.get(cacheKey)
    if (keys === undefined) {
      keys = ConnectorKeys.derive(this.#masterKey(ref.master), ref.version, connectorId, ref.tagged)
      this.#connectors.set(cacheKey, keys)
    }
    return keys
  }

  #masterKey (version: number): Uint8Array {
    const key = this.#master.get(version)
    if (key === undefined) throw new Error('master key version ' + version + ' is not configured')
    return key
  }
}
