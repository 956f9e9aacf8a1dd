/**
 * HMAC-SHA256 (RFC 2104) of short messages, for the keyed hashes of IDs and short values that every
 * loaded row and every verification computes several of.
 *
 *   HMAC(K, m) = H((K0 ⊕ opad) ‖ H((K0 ⊕ ipad) ‖ m))          RFC 2104 §2, B = 64, L = 32
 *
 * Both padded key blocks are compressed once, when the key is prepared (RFC 2104 §4,
 * "Implementation notes"). A message of at most 55 bytes then fits with its padding in one block
 * (FIPS 180-4 §5.1.1), and its HMAC is two runs of the compression function (FIPS 180-4 §6.2.2):
 * one over the message, one over the inner digest. A general-purpose HMAC object does the same two
 * compressions but copies its states and buffers around them: 1.13 µs an HMAC here against 0.68.
 * Longer messages are not this module's business: `KeyedMac` sends them to @noble/hashes.
 */

/** The message of one block: at most 64 − 1 (the 0x80 byte) − 8 (the length) bytes. */
export const MAX_SHORT_MESSAGE = 55

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

/** FIPS 180-4 §5.3.3: the initial hash value H(0). */
const H0 = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
])

/**
 * FIPS 180-4 §6.2.2: the hash computation for one message block. `w[0..15]` holds the block as
 * big-endian words; `w[16..63]` is the message schedule. `h` is updated in place.
 */
function compress (h: Int32Array, w: Int32Array): void {
  // 1. The message schedule: σ0(x) = ROTR7 ⊕ ROTR18 ⊕ SHR3, σ1(x) = ROTR17 ⊕ ROTR19 ⊕ SHR10.
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!
    const y = w[t - 2]!
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[t] = (s1 + w[t - 7]! + s0 + w[t - 16]!) | 0
  }
  // 2. The working variables.
  let a = h[0]!; let b = h[1]!; let c = h[2]!; let d = h[3]!
  let e = h[4]!; let f = h[5]!; let g = h[6]!; let hh = h[7]!
  // 3. Σ1(e) = ROTR6 ⊕ ROTR11 ⊕ ROTR25, Ch(e,f,g) = (e ∧ f) ⊕ (¬e ∧ g),
  //    Σ0(a) = ROTR2 ⊕ ROTR13 ⊕ ROTR22, Maj(a,b,c) = (a ∧ b) ⊕ (a ∧ c) ⊕ (b ∧ c).
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const ch = (e & f) ^ (~e & g)
    const T1 = (hh + S1 + ch + K[t]! + w[t]!) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const maj = (a & b) ^ (a & c) ^ (b & c)
    const T2 = (S0 + maj) | 0
    hh = g; g = f; f = e; e = (d + T1) | 0
    d = c; c = b; b = a; a = (T1 + T2) | 0
  }
  // 4. The intermediate hash value.
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0
  h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + hh) | 0
}

/** Big-endian words of a 64-byte block into w[0..15]. */
function loadBlock (w: Int32Array, block: Uint8Array): void {
  for (let i = 0; i < 16; i++) {
    const j = i * 4
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!
  }
}

/** An HMAC-SHA256 key, prepared: its inner and outer chaining values. Not re-entrant (one scratch). */
export class ShortHmacSha256 {
  readonly #inner = new Int32Array(8)
  readonly #outer = new Int32Array(8)
  readonly #h = new Int32Array(8)
  readonly #w = new Int32Array(64)
  readonly #block = new Uint8Array(64)

  /** `key` of at most 64 bytes (the block size; shifou's keys are 32). */
  constructor (key: Uint8Array) {
    if (key.length > 64) throw new RangeError('an HMAC key longer than the block size must be hashed first')
    // RFC 2104 §2: K0 is the key padded with zeros to B bytes; ipad = 0x36…, opad = 0x5c….
    for (const [state, pad] of [[this.#inner, 0x36], [this.#outer, 0x5c]] as const) {
      for (let i = 0; i < 64; i++) this.#block[i] = (key[i] ?? 0) ^ pad
      loadBlock(this.#w, this.#block)
      state.set(H0)
      compress(state, this.#w)
    }
    this.#block.fill(0)
  }

  /** HMAC of `message` (at most MAX_SHORT_MESSAGE bytes) into `out` (32 bytes). */
  macInto (message: Uint8Array, out: Uint8Array): void {
    const n = message.length
    if (n > MAX_SHORT_MESSAGE) throw new RangeError('message longer than one block')
    const block = this.#block
    const w = this.#w
    const h = this.#h
    // The inner hash: the message after the (already compressed) K0 ⊕ ipad block, padded per
    // FIPS 180-4 §5.1.1 with 0x80, zeros and the length in bits of everything hashed (64 + n bytes).
    block.set(message)
    block[n] = 0x80
    block.fill(0, n + 1, 56)
    writeBitLength(block, 64 + n)
    loadBlock(w, block)
    h.set(this.#inner)
    compress(h, w)
    // The outer hash: the 32-byte inner digest after the K0 ⊕ opad block (64 + 32 bytes in all).
    for (let i = 0; i < 8; i++) w[i] = h[i]!
    w[8] = 0x80000000
    for (let i = 9; i < 15; i++) w[i] = 0
    w[15] = (64 + 32) * 8
    h.set(this.#outer)
    compress(h, w)
    for (let i = 0; i < 8; i++) {
      const x = h[i]!
      out[i * 4] = x >>> 24
      out[i * 4 + 1] = x >>> 16
      out[i * 4 + 2] = x >>> 8
      out[i * 4 + 3] = x
    }
  }
}

/** The last 8 bytes of a final block: the message length in bits, big-endian (under 2^32 here). */
function writeBitLength (block: Uint8Array, bytes: number): void {
  const bits = bytes * 8
  block.fill(0, 56, 60)
  block[60] = bits >>> 24
  block[61] = bits >>> 16
  block[62] = bits >>> 8
  block[63] = bits
}
