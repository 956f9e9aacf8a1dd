/**
 * Idempotency keys (design §14.6): a repeat of a verification with the same `Idempotency-Key` and
 * the same body within 24 h gets the first response back — same verification ids, audit indices
 * and receipts — and writes no entry and counts no quota, also when the first response was lost
 * after its entries committed.
 *
 *   claim      before anything is decided, the key is claimed (a 'pending' row with a lease) in
 *              its own statement; a second request with the key finds the claim and is told to
 *              wait (409 IDEMPOTENCY_IN_PROGRESS), or finds the record and replays it, or — with
 *              another body — is refused (422 IDEMPOTENCY_KEY_REUSED). So concurrent duplicates
 *              never both reach the pipeline.
 *   complete   the record ('done', with what to replay) is written by the audit writer in the
 *              transaction of the answer's entries (a Companion): the key is recorded exactly when
 *              the answer is. It names the claim, so a request whose lease was taken over writes
 *              nothing (its entries are left out too).
 *   release    a request that ends without an answer (refused, or its entries could not be
 *              written) deletes its claim if it is still pending, so a retry runs again.
 *
 * The key is stored as a keyed hash (HMAC under a key derived from the master key): a client may
 * use anything as a key, even an ID number. The request is a keyed hash of its canonical JSON (RFC
 * 8785), since a body holds an ID number. The record holds verification ids and problem documents;
 * a replay rebuilds the answers from their audit entries and the receipts byte for byte.
 */
import { randomUUID } from 'node:crypto'
import type { Executor } from '../db/client.ts'
import type { Companion } from '../audit/writer.ts'
import type { JsonValue } from '../audit/entry.ts'
import { ShifouError } from '../errors.ts'
import { KeyedMac } from '../keys/keyring.ts'
import { canonicalJson } from '../crypto/jcs.ts'

/** How long a key is remembered (design §14.6). */
export const KEY_TTL_MS = 24 * 3600_000
/**
 * How long a claim holds before another request may take the key over (its request is taken to be
 * gone). Far longer than a request can take (every wait on the database is bounded by
 * SHIFOU_DB_TIMEOUT_MS); even so, a completion names its claim and writes nothing once taken over.
 */
export const LEASE_MS = 60_000

/** What a repeat replays: per result, the verification answered, or the problem of a refused item. */
export type StoredResult = { verification: string } | { error: Record<string, JsonValue> }
export interface StoredResponse { results: StoredResult[] }

export interface KeyScope {
  clientId: string
  keyHash: Buffer
  route: string
  requestHash: Buffer
}

export type Claim =
  | { kind: 'claimed', claim: string }
  | { kind: 'replay', stored: StoredResponse }
  | { kind: 'in-progress' }
  | { kind: 'reused' }

/** Keyed hashes of keys and requests, under HKDF(master key, "shifou/v1/idempotency"). */
export class KeyHasher {
  readonly #mac: KeyedMac

  constructor (key: Uint8Array) {
    this.#mac = new KeyedMac(key)
  }

  scope (clientId: string, key: string, route: string, body: unknown): KeyScope {
    return {
      clientId,
      keyHash: this.#mac.mac('key\u0000' + key),
      route,
      requestHash: this.#mac.mac('request\u0000' + route + '\u0000' + canonicalJson(body as JsonValue))
    }
  }
}

/**
 * Claims the key for this request, or says what became of it: replay its record, wait for the
 * request that holds it, or refuse a different request under the same key. An expired key, or a
 * claim whose lease ran out, is claimed anew.
 */
export async function claimKey (db: Executor, s: KeyScope): Promise<Claim> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const claim = randomUUID()
    const claimed = await db.query<{ claim: string }>(
      `insert into idempotency_keys
         (client_id, key_hash, route, request_hash, claim, state, lease_until, response, created_at, expires_at)
       values ($1, $2, $3, $4, $5, 'pending', now() + $6 * interval '1 millisecond', null, now(),
               now() + $7 * interval '1 millisecond')
       on conflict (client_id, key_hash) do update set
         route = excluded.route, request_hash = excluded.request_hash, claim = excluded.claim, state = 'pending',
         lease_until = excluded.lease_until, response = null, created_at = excluded.created_at,
         expires_at = excluded.expires_at
       where idempotency_keys.expires_at <= now()
          or (idempotency_keys.state = 'pending' and idempotency_keys.lease_until <= now())
       returning claim::text as claim`,
      [s.clientId, s.keyHash, s.route, s.requestHash, claim, LEASE_MS, KEY_TTL_MS])
    if (claimed[0]?.claim === claim) return { kind: 'claimed', claim }
    const [held] = await db.query<{ route: string, request_hash: Uint8Array, state: string, response: unknown }>(
      `select route, request_hash, state, response from idempotency_keys
        where client_id = $1 and key_hash = $2 and expires_at > now()`, [s.clientId, s.keyHash])
    // Gone or expired since the insert looked: claim again.
    if (held === undefined) continue
    if (held.route !== s.route || !Buffer.from(held.request_hash).equals(s.requestHash)) return { kind: 'reused' }
    if (held.state === 'pending') return { kind: 'in-progress' }
    const stored = typeof held.response === 'string' ? JSON.parse(held.response) : held.response
    return { kind: 'replay', stored: stored as StoredResponse }
  }
  return { kind: 'in-progress' }
}

/** The record of the answered request, written in the transaction of its audit entries. */
export function completion (s: KeyScope, claim: string, stored: StoredResponse): Companion {
  return {
    async write (tx: Executor): Promise<ShifouError | null> {
      const rows = await tx.query(
        `update idempotency_keys set state = 'done', response = $4::jsonb
          where client_id = $1 and key_hash = $2 and claim = $3 and state = 'pending'
          returning 1 as done`,
        [s.clientId, s.keyHash, claim, JSON.stringify(stored)])
      return rows.length === 1
        ? null
        : new ShifouError('IDEMPOTENCY_IN_PROGRESS',
            'This request held its Idempotency-Key too long and another request with the key took it over; ' +
            'nothing was answered here: repeat the request to get that one\'s answer')
    }
  }
}

/** Lets the key go after a request that ended without an answer (a claim already done is kept). */
export async function releaseKey (db: Executor, s: KeyScope, claim: string): Promise<void> {
  await db.query(
    `delete from idempotency_keys where client_id = $1 and key_hash = $2 and claim = $3 and state = 'pending'`,
    [s.clientId, s.keyHash, claim])
}

/** Deletes the keys past their 24 hours; returns how many. */
export async function expireKeys (db: Executor): Promise<number> {
  const rows = await db.query('delete from idempotency_keys where expires_at <= now() returning 1 as gone')
  return rows.length
}
