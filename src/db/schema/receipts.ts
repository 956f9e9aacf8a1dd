/**
 * Receipt signing keys and consent (design §9). A signing key's private half is stored encrypted
 * (AES-256-GCM under a key derived from the master key), so every service process can sign and
 * the database alone reveals nothing; retired keys stay published for verification.
 */
import { date, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
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

/**
 * The short links of printed certificates (design §14.4, src/receipts/links.ts): the QR code holds
 * `/r#<token>`; the token is kept only as its SHA-256.
 */
export const receiptLinks = pgTable('receipt_links', {
  tokenHash: bytea().primaryKey(),
  verification: text().notNull(),
  /** the verification's receipts (compact JWS), in audit order */
  receipts: jsonb().$type<string[]>().notNull(),
  maskedId: text().notNull(),
  maskedName: text(),
  issuedAt: timestamp({ withTimezone: true }).notNull(),
  validUntil: date().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
