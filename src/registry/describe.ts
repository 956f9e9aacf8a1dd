/**
 * An access-log entry in plain words for the citizen it is about (design §14.4): who checked what,
 * for which purpose, when, and the result — titles, never codes where a title exists, in Chinese
 * and English, no protocol terms.
 */
import type { Entry } from '../audit/entry.ts'
import type { RegistryState } from './cache.ts'
import { purposeTitles, questionTitles } from './titles.ts'

/** An RFC 3339 instant as a China Standard Time minute, `2026年12月6日 14:03` / `2026-12-06 14:03`. */
export function cstMinute (iso: string, lang: 'zh' | 'en'): string {
  const t = new Date(Date.parse(iso) + 8 * 3600_000)
  if (lang === 'en') return `${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 16)} (Beijing time)`
  return `${t.getUTCFullYear()}年${t.getUTCMonth() + 1}月${t.getUTCDate()}日 ${t.toISOString().slice(11, 16)}`
}

export interface Described {
  questionTitle: { zh: string, en: string } | null
  purposeTitle: { zh: string, en: string } | null
  summary: { zh: string, en: string }
}

export function describeAccess (state: RegistryState, e: Entry, callerName: string): Described {
  const q = e.question === undefined ? null : questionTitles(state, e.question)
  const p = e.purpose === undefined ? null : purposeTitles(state, e.purpose)
  const zhCase = e.caseId === undefined ? '' : `（业务编号 ${e.caseId}）`
  const enCase = e.caseId === undefined ? '' : ` (case ${e.caseId})`
  const zhWhat = q === null ? '您的信息' : `“${q.zh}”`
  const enWhat = q === null ? 'your records' : `“${q.en}”`
  const zhWhy = p === null ? '' : `为办理“${p.zh}”`
  const enWhy = p === null ? '' : ` for “${p.en}”`
  if (e.kind === 'answer') {
    const zhResult = e.answer === 'yes' ? '是' : '否'
    return {
      questionTitle: q,
      purposeTitle: p,
      summary: {
        zh: `${cstMinute(e.at, 'zh')}，${callerName}${zhWhy}核验了${zhWhat}${zhCase}，结果：${zhResult}。`,
        en: `${cstMinute(e.at, 'en')}: ${callerName} checked ${enWhat}${enWhy}${enCase}. ` +
          `Result: ${e.answer === 'yes' ? 'yes' : 'no'}.`
      }
    }
  }
  return {
    questionTitle: q,
    purposeTitle: p,
    summary: {
      zh: `${cstMinute(e.at, 'zh')}，${callerName}${zhWhy}请求核验${zhWhat}${zhCase}，请求被拒绝，未进行核验。`,
      en: `${cstMinute(e.at, 'en')}: ${callerName} asked to check ${enWhat}${enWhy}${enCase}; ` +
        'the request was refused and nothing was checked.'
    }
  }
}

/** What the access log is, for the citizen reading it. */
export const ACCESS_LOG_ABOUT = {
  zh: '这里列出哪些单位在什么时间、为办理什么事项核验过您的信息，最新的在前。' +
    '核验只回答“是”或“否”，您的档案不会交给查询单位。每一条记录都写入了不可篡改的审计日志，' +
    '页面会逐条核对它确实在日志中、没有被改动。',
  en: 'Who checked your records, when and for what, newest first. A check answers only yes or no; ' +
    'your records are not handed to the one who asks. Every entry is written to a tamper-evident log, ' +
    'and the page checks each one is in it, unchanged.'
}
