// The entry of a loader's worker thread. The service runs from its TypeScript sources (see
// bin/shifou.js), and a worker thread does not inherit the TypeScript loader: it registers it
// here, then runs convert-worker.ts.
import { register } from 'tsx/esm/api'

register()
await import('./convert-worker.ts')
