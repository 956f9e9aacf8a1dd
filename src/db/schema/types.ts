/** Column types drizzle 0.45 lacks. */
import { customType } from 'drizzle-orm/pg-core'

/** bytea as Uint8Array on both drivers (PGlite returns Uint8Array, postgres.js a Buffer). */
export const bytea = customType<{ data: Uint8Array, driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)),
  fromDriver: (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
})
