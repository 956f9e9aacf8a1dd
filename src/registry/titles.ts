/**
 * What a reader is shown for a question, a purpose or a connector (design §14.4): its title in the
 * reader's language, else in the other language, else its one-language title, and its id only when
 * nothing else exists (a purpose code nobody registered).
 */
import type { Titles } from '../db/schema/index.ts'
import type { RegistryState } from './cache.ts'

export type Lang = 'zh' | 'en'

export function pickTitle (lang: Lang, titles: Titles | null | undefined, fallback: string): string {
  const other: Lang = lang === 'zh' ? 'en' : 'zh'
  return titles?.[lang] ?? titles?.[other] ?? fallback
}

/** Both languages of an item, each falling back as pickTitle does. */
export function bothTitles (titles: Titles | null | undefined, fallback: string): { zh: string, en: string } {
  return { zh: pickTitle('zh', titles, fallback), en: pickTitle('en', titles, fallback) }
}

export function questionTitles (state: RegistryState, id: string): { zh: string, en: string } {
  const q = state.questionNames.get(id)
  return bothTitles(q?.titles, q?.title ?? id)
}

export function purposeTitles (state: RegistryState, code: string): { zh: string, en: string } {
  return bothTitles(state.purposes.get(code), code)
}

export function connectorTitles (state: RegistryState, id: string): { zh: string, en: string } {
  const c = state.connectors.get(id)
  return bothTitles(c?.titles, c?.title ?? id)
}
