/**
 * A reference implementation of RFC 9162 §2.1, written straight from the definitions, used only
 * to cross-check src/audit (as transparency-dev/merkle `testonly/reference_test.go` does). It
 * hashes with node:crypto, not with src/audit/hasher.ts, so that the two are independent. MTH is
 * memoised per leaf range, which changes nothing but the running time.
 */
import { createHash } from 'node:crypto'

export function sha256 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function unhex (s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'))
}

/** The largest power of two smaller than n (n > 1): the `k` of RFC 9162 §2.1.1. */
function split (n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** The tree over entries D[0:n], n = entries.length. Ranges are [begin, end) into D. */
export class ReferenceTree {
  readonly entries: readonly Uint8Array[]
  readonly #memo = new Map<string, Uint8Array>()

  constructor (entries: readonly Uint8Array[]) {
    this.entries = entries
  }

  leafHash (i: number): Uint8Array {
    return this.mth(i, i + 1)
  }

  /** MTH(D[begin:end]) (§2.1.1). */
  mth (begin: number, end: number): Uint8Array {
    const key = begin + ',' + end
    let hash = this.#memo.get(key)
    if (hash === undefined) {
      const n = end - begin
      if (n === 0) {
        hash = sha256()
      } else if (n === 1) {
        hash = sha256(Uint8Array.of(0), this.entries[begin] as Uint8Array)
      } else {
        const k = split(n)
        hash = sha256(Uint8Array.of(1), this.mth(begin, begin + k), this.mth(begin + k, end))
      }
      this.#memo.set(key, hash)
    }
    return hash
  }

  /** PATH(m, D[0:n]) (§2.1.3.1). */
  path (m: number, n: number): Uint8Array[] {
    return this.#path(m, 0, n)
  }

  #path (m: number, begin: number, end: number): Uint8Array[] {
    const n = end - begin
    if (n === 1) return []
    const k = split(n)
    if (m < k) return [...this.#path(m, begin, begin + k), this.mth(begin + k, end)]
    return [...this.#path(m - k, begin + k, end), this.mth(begin, begin + k)]
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) (§2.1.4.1). */
  proof (m: number, n: number): Uint8Array[] {
    return this.#subproof(m, 0, n, true)
  }

  #subproof (m: number, begin: number, end: number, b: boolean): Uint8Array[] {
    const n = end - begin
    if (m === n) return b ? [] : [this.mth(begin, end)]
    const k = split(n)
    if (m <= k) return [...this.#subproof(m, begin, begin + k, b), this.mth(begin + k, end)]
    return [...this.#subproof(m - k, begin + k, end, false), this.mth(begin, begin + k)]
  }
}

/**
 * The 8-leaf reference tree of google/certificate-transparency
 * `cpp/merkletree/merkle_tree_test.cc` (kInputs, kSHA256Roots), also in transparency-dev/merkle
 * `proof/verify_test.go` (leaves, roots) with the proofs below (1-based leaves there, 0-based
 * here).
 */
export const RFC_TREE = {
  inputs: ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'],
  /** roots[n - 1] = MTH of the first n inputs. */
  roots: [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
  ],
  inclusionProofs: [
    { index: 0, size: 1, proof: [] },
    {
      index: 0,
      size: 8,
      proof: [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'
      ]
    },
    {
      index: 5,
      size: 8,
      proof: [
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'
      ]
    },
    { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
    {
      index: 1,
      size: 5,
      proof: [
        '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'
      ]
    }
  ],
  consistencyProofs: [
    { size1: 1, size2: 1, proof: [] },
    {
      size1: 1,
      size2: 8,
      proof: [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'
      ]
    },
    {
      size1: 6,
      size2: 8,
      proof: [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'
      ]
    },
    {
      size1: 2,
      size2: 5,
      proof: [
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'
      ]
    },
    {
      size1: 6,
      size2: 7,
      proof: [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'
      ]
    }
  ]
} as const

/** Entries "leaf 0", "leaf 1", … as bytes. */
export function numberedEntries (n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode('leaf ' + i))
}
