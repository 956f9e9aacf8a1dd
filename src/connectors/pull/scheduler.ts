/**
 * Scheduled syncs (design §14.2 `schedule`): every service process looks at the schedules once a
 * minute, and for each pull connector whose cron expression matches the minute (China Standard
 * Time) tries to claim that minute in the connector's row (store.ts `claimSlot`: an atomic update
 * that succeeds for one process only). The process that claims it runs the sync; the others do
 * nothing. So with several processes on one database each scheduled sync runs exactly once; a
 * minute when no process was running is not made up later (the next scheduled minute syncs).
 */
import type { Principal } from '../../principal.ts'
import { ShifouError } from '../../errors.ts'
import { getConnector } from '../../registry/store.ts'
import { cronMatches, minuteOf, parseCron } from './cron.ts'
import { claimSlot, scheduledConnectors } from './store.ts'
import { syncConnector, type SyncDeps, type SyncResult } from './sync.ts'

/** Who a scheduled sync is started by, in its load record and audit entry. */
export const SCHEDULER: Principal = { sub: 'shifou-scheduler', role: 'admin' }

export interface SchedulerLog {
  /** a sync's outcome: never a URL or a value, only the connector, the code and the snapshot */
  (outcome: { connector: string, code: string, snapshot?: number }): void
}

export class SyncScheduler {
  readonly #deps: SyncDeps
  readonly #log: SchedulerLog
  readonly #running = new Set<Promise<unknown>>()
  #timer: NodeJS.Timeout | null = null
  #stopped = false

  constructor (deps: SyncDeps, log: SchedulerLog = () => {}) {
    this.#deps = deps
    this.#log = log
  }

  /** Looks at the schedules at the start of every minute (a second after, for clocks slightly behind). */
  start (): void {
    const next = (): void => {
      if (this.#stopped) return
      this.#timer = setTimeout(() => {
        this.tick(new Date()).catch(() => {}).finally(next)
      }, 60_000 - (Date.now() % 60_000) + 1000)
      this.#timer.unref()
    }
    next()
  }

  /**
   * The syncs due in the minute of `now` that this process claimed, started; resolves with their
   * connectors once they have ended (each sync's failure is logged, not thrown).
   */
  async tick (now: Date): Promise<string[]> {
    const slot = minuteOf(now)
    const claimed: string[] = []
    const syncs: Array<Promise<unknown>> = []
    for (const { id, schedule } of await scheduledConnectors(this.#deps.database)) {
      let due: boolean
      try {
        due = cronMatches(parseCron(schedule), slot)
      } catch {
        continue
      }
      if (!due || this.#stopped || !await claimSlot(this.#deps.database, id, slot)) continue
      claimed.push(id)
      const run = this.#sync(id, now)
      this.#running.add(run)
      syncs.push(run.finally(() => this.#running.delete(run)))
    }
    await Promise.all(syncs)
    return claimed
  }

  async #sync (id: string, now: Date): Promise<void> {
    try {
      const connector = await getConnector(this.#deps.database, id)
      const result: SyncResult = await syncConnector(this.#deps, connector, SCHEDULER, 'schedule', now)
      this.#log({ connector: id, code: result.unchanged ? 'UNCHANGED' : 'ACTIVE', snapshot: result.snapshot.id })
    } catch (err) {
      this.#log({ connector: id, code: err instanceof ShifouError ? err.code : 'INTERNAL' })
    }
  }

  /** Stops looking at schedules and waits for the syncs this process is running. */
  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    await Promise.allSettled([...this.#running])
  }
}
