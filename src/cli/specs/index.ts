/**
 * The commands of `shifou`, in the order `shifou --help` lists them. A new command is a
 * description here (src/cli/specs/) and a module that runs it; its options are parsed from the
 * description, so --help cannot miss one (test/cli/help.test.ts checks every entry).
 */
import type { Entry } from '../spec.ts'
import { demo, migrate, serve } from './serve.ts'
import { token } from './token.ts'
import { load } from './load.ts'
import { audit } from './audit.ts'
import { keys } from './keys.ts'
import { receipt } from './receipt.ts'
import { witness, witnessPublicKey } from './witness.ts'
import { agent, agentLog, agentPublicKey } from './agent.ts'

export const COMMANDS: readonly Entry[] = [
  serve, migrate, demo, token, load, audit, keys, receipt, witness, witnessPublicKey, agent, agentPublicKey, agentLog
]
