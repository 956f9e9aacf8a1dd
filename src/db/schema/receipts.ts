/**
 * Receipt signing keys and consent (design §9). A signing key's private half is stored encrypted
 * (AES-256-GCM under a key derived from the master key), so every service process can sign and
 * the database alone reveals nothing; retired keys stay published for verification.
 */
import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { jsonb } from 'drizzle-orm/pg-core'
import { bytea } from './types.ts'

export const signingKeys = pgTable('signing_keys', {
  kid: text().primaryKey(),
  /** current | retired */
  status: text().notNull(),
  publicJwk: jsonb().notNull(),
  /** nonce ‖ ciphertext ‖ tag of the PKCS#8 private key */
  privateKey: bytea().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  retiredAt: timestamp({ withTimezone: true })
})

/** Consent tokens already used (their `jti`), so each is single-use. */
export const consentUses = pgTable('consent_uses', {
  jti: text().primaryKey(),
  issuer: text().notNull(),
  usedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }).notNull()
})
