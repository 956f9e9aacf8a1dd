/**
 * The predicate language of questions (design §6). The implementation lives in ./predicate/;
 * this module and ./predicate/index.ts export the same API.
 */
export * from './predicate/index.ts'
