/**
 * The faults, one at a time, each under load from its first second to its last: a few seconds of
 * steady load, the fault, and a few seconds after the database (or the service) is back.
 */
import type { Cluster } from '../helpers/pg-cluster.ts'
import type { Driver } from './driver.ts'
import type { Marks } from './report.ts'
import type { Service } from './service.ts'

export interface Context {
  cluster: Cluster
  driver: Driver
  /** Requests per second (about half the measured capacity). */
  rate: number
  /** The service every scenario starts from (replaced when a scenario restarts it). */
  main: Service
  /** Starts a service process (on a spare port unless given one). */
  start: (name: string, port?: number) => Promise<Service>
}

export interface Scenario {
  name: string
  run: (ctx: Context) => Promise<Marks>
}

const BEFORE_MS = 3000
const AFTER_MS = 4000
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Load on `ports()` while `fault` runs, with steady load before and after it. */
async function underLoad (ctx: Context, name: string, ports: () => number[],
  fault: () => Promise<number | null>): Promise<Marks> {
  const load = ctx.driver.openLoop(name, ports, ctx.rate)
  await sleep(BEFORE_MS)
  const back = await fault()
  await sleep(AFTER_MS)
  await load.stop()
  return { back }
}

const database = (name: string, fault: (cluster: Cluster) => Promise<void>): Scenario => ({
  name,
  run: async (ctx) => await underLoad(ctx, name, () => [ctx.main.port], async () => {
    await fault(ctx.cluster)
    return performance.now()
  })
})

const frozen = (seconds: number): Scenario => database(`pg-sigstop-${seconds}s`, async (cluster) => {
  cluster.signal('SIGSTOP')
  try {
    await sleep(seconds * 1000)
  } finally {
    cluster.signal('SIGCONT')
  }
})

/** Kills the main service (a signal), waits for it to exit, starts it again; returns when it is back. */
async function replaceMain (ctx: Context, signal: NodeJS.Signals): Promise<number> {
  const { port } = ctx.main
  ctx.main.signal(signal)
  await ctx.main.exited
  ctx.main = await ctx.start('main', port)
  return performance.now()
}

export const SCENARIOS: Scenario[] = [
  { name: 'baseline', run: async (ctx) => await underLoad(ctx, 'baseline', () => [ctx.main.port], async () => null) },
  database('pg-restart-fast', async (cluster) => { await cluster.restart('fast') }),
  database('pg-restart-immediate', async (cluster) => { await cluster.restart('immediate') }),
  database('pg-stop-30s', async (cluster) => {
    await cluster.stop('fast')
    try {
      await sleep(30_000)
    } finally {
      await cluster.start()
    }
  }),
  frozen(15),
  frozen(40),
  {
    name: 'service-kill-9',
    run: async (ctx) => await underLoad(ctx, 'service-kill-9', () => [ctx.main.port],
      async () => await replaceMain(ctx, 'SIGKILL'))
  },
  {
    // Two processes on one database behind a balancer that stops sending to the dead one at once.
    name: 'two-services-one-killed',
    run: async (ctx) => {
      const second = await ctx.start('second')
      let ports = [ctx.main.port, second.port]
      const marks = await underLoad(ctx, 'two-services-one-killed', () => ports, async () => {
        second.signal('SIGKILL')
        ports = [ctx.main.port]
        return performance.now()
      })
      await second.exited
      return marks
    }
  },
  {
    // A graceful stop under load (what an orchestrator does on every deploy): in-flight requests
    // finish and their entries are flushed, then the process exits and is started again.
    name: 'service-sigterm',
    run: async (ctx) => await underLoad(ctx, 'service-sigterm', () => [ctx.main.port],
      async () => await replaceMain(ctx, 'SIGTERM'))
  }
]
