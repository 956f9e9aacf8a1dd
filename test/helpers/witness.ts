/**
 * A real `shifou witness` process on loopback (port 0), as an operator runs it, and an in-memory
 * Merkle tree to make checkpoints and consistency proofs for it.
 */
import type { ChildProcess } from 'node:child_process'
import { startServerProcess, type Teardown } from './server-process.ts'
import { consistencyProof, rootAt, type GetNode } from '../../src/audit/proof-build.ts'
import { leafHash, nodeHash } from '../../src/audit/hasher.ts'

export type { Teardown }

export interface RunningWitness {
  url: string
  verifierKey: string
  process: ChildProcess
  /** Everything it wrote to stderr so far (its request log). */
  stderr: () => string
  /** SIGTERM, and wait for it to exit. */
  stop: () => Promise<void>
}

/** Starts `shifou witness` with `args` (its data directory and logs) and waits until it listens. */
export async function startWitness (t: Teardown, args: string[]): Promise<RunningWitness> {
  const server = await startServerProcess(t, ['witness', '--port', '0', ...args],
    { ready: /verifier key: \S+\n/, timeoutMs: 20_000 })
  return {
    url: /listening on (\S+)/.exec(server.stdout)![1]!,
    verifierKey: /verifier key: (\S+)/.exec(server.stdout)![1]!,
    process: server.process,
    stderr: server.stderr,
    stop: async () => { await server.stop() }
  }
}

/** A Merkle tree of leaves made from their numbers, as the log's tree would be (RFC 9162). */
export class MemoryTree {
  readonly leaves: Uint8Array[] = []
  readonly #nodes = new Map<string, Uint8Array>()

  constructor (size = 0, tag = 'leaf') {
    this.grow(size, tag)
  }

  grow (count: number, tag = 'leaf'): void {
    for (let i = 0; i < count; i++) this.leaves.push(leafHash(new TextEncoder().encode(`${tag} ${this.leaves.length}`)))
  }

  readonly node: GetNode = (level, index) => {
    if (level === 0) return this.leaves[index]!
    const key = `${level}/${index}`
    let hash = this.#nodes.get(key)
    if (hash === undefined) {
      hash = nodeHash(this.node(level - 1, 2 * index), this.node(level - 1, 2 * index + 1))
      this.#nodes.set(key, hash)
    }
    return hash
  }

  root (size = this.leaves.length): Uint8Array {
    return rootAt(size, this.node)
  }

  proof (size1: number, size2 = this.leaves.length): Uint8Array[] {
    return size1 === 0 || size1 === size2 ? [] : consistencyProof(size1, size2, this.node)
  }
}
