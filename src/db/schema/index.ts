export * from './registry.ts'
export * from './snapshots.ts'
export * from './audit.ts'
