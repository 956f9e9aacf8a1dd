// The entry of `shifou audit verify`'s worker thread. The service runs from its TypeScript sources
// (see bin/shifou.js), and a worker thread does not inherit the TypeScript loader: it registers it
// here, then runs entry-check-worker.ts.
import { register } from 'tsx/esm/api'

register()
await import('./entry-check-worker.ts')
