#!/usr/bin/env node
// The `shifou` command. The service runs from its TypeScript sources through tsx's loader, so
// there is no build step between a fresh clone and `npm start`.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
