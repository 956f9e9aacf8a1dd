/**
 * What a printed certificate says about each answer, in Chinese and English (design §14.4). The
 * questions of the demo (design §6) have their own wording and, when the answer is the one the
 * certificate certifies, their own title (无房产证明 for property.none = yes); any other question
 * gets a generic statement built from its title. `{who}` is the person (上述人员 when a name was
 * checked, else 该公民身份号码持有人), `{area}` the jurisdiction, `{asOf}` the data's date, any other
 * `{name}` a parameter.
 */
export type Lang = 'zh' | 'en'
type Text = Record<Lang, string>

interface QuestionText {
  /** the certificate's title when this answer is `titleWhen` */
  title?: Text
  titleWhen?: 'yes' | 'no'
  /** an identity check: beside a certifying answer it does not take the title, and a `no` voids it */
  identity?: boolean
  yes: Text
  no: Text
}

const PROPERTY_NONE = {
  zh: '经比对{area}范围内的不动产登记数据（数据截至{asOf}），{who}名下无登记的不动产。',
  en: 'According to the real estate register for {area} (data as of {asOf}), no property is registered to {who}.'
}
const PROPERTY_SOME = {
  zh: '经比对{area}范围内的不动产登记数据（数据截至{asOf}），{who}名下有登记的不动产。',
  en: 'According to the real estate register for {area} (data as of {asOf}), property is registered to {who}.'
}

const TEXTS: Record<string, QuestionText> = {
  'property.none': {
    title: { zh: '无房产证明', en: 'Certificate of No Registered Property' },
    titleWhen: 'yes',
    yes: PROPERTY_NONE,
    no: PROPERTY_SOME
  },
  'property.holds': { yes: PROPERTY_SOME, no: PROPERTY_NONE },
  'tax.paid_in_year': {
    title: { zh: '完税证明', en: 'Certificate of Tax Paid' },
    titleWhen: 'yes',
    yes: {
      zh: '经比对税务数据（数据截至{asOf}），{who}已缴纳{year}年度个人所得税。',
      en: 'According to the tax records (data as of {asOf}), {who} paid personal income tax for {year}.'
    },
    no: {
      zh: '经比对税务数据（数据截至{asOf}），未查到{who}{year}年度的个人所得税缴纳记录。',
      en: 'According to the tax records (data as of {asOf}), no personal income tax paid for {year} is recorded ' +
        'for {who}.'
    }
  },
  'income.at_least': {
    yes: {
      zh: '经比对税务数据（数据截至{asOf}），{who}{year}年度计税收入不低于{min}元。',
      en: 'According to the tax records (data as of {asOf}), the taxed income of {who} for {year} is at least ' +
        'CNY {min}.'
    },
    no: {
      zh: '经比对税务数据（数据截至{asOf}），{who}{year}年度计税收入低于{min}元。',
      en: 'According to the tax records (data as of {asOf}), the taxed income of {who} for {year} is below CNY {min}.'
    }
  },
  'insurance.active_on': {
    title: { zh: '社会保险参保证明', en: 'Certificate of Social Insurance Enrolment' },
    titleWhen: 'yes',
    yes: {
      zh: '经比对社会保险数据（数据截至{asOf}），{who}于{date}处于参保状态。',
      en: 'According to the social insurance records (data as of {asOf}), {who} was enrolled on {date}.'
    },
    no: {
      zh: '经比对社会保险数据（数据截至{asOf}），{who}于{date}未处于参保状态。',
      en: 'According to the social insurance records (data as of {asOf}), {who} was not enrolled on {date}.'
    }
  },
  'identity.name_matches': {
    identity: true,
    yes: {
      zh: '经比对户籍登记数据（数据截至{asOf}），上述姓名与公民身份号码一致。',
      en: 'According to the household register (data as of {asOf}), the name above belongs to this ID number.'
    },
    no: {
      zh: '经比对户籍登记数据（数据截至{asOf}），所报姓名与公民身份号码不一致。',
      en: 'According to the household register (data as of {asOf}), the name given does not belong to this ' +
        'ID number.'
    }
  }
}

export const GENERIC_TITLE: Text = { zh: '数据核验证明', en: 'Data Verification Certificate' }
export const YES_NO: Record<'yes' | 'no', Text> = { yes: { zh: '是', en: 'Yes' }, no: { zh: '否', en: 'No' } }
export const WHO: Record<'named' | 'unnamed', Text> = {
  named: { zh: '上述人员', en: 'the person above' },
  unnamed: { zh: '该公民身份号码持有人', en: 'the holder of this ID number' }
}

type Params = Record<string, string | number | boolean>

/** A calendar date YYYY-MM-DD as 2026年12月5日 (zh) or as it is (en). */
export function dateText (lang: Lang, date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (m === null || lang === 'en') return date
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`
}

function fill (lang: Lang, template: string, params: Params, vars: Record<string, string>): string {
  return template.replace(/\{([a-zA-Z_]+)\}/g, (whole, name: string) => {
    if (name in vars) return vars[name]!
    if (!(name in params)) return whole
    const v = params[name]!
    return typeof v === 'string' ? dateText(lang, v) : String(v)
  })
}

export interface StatementContext {
  lang: Lang
  named: boolean
  /** the jurisdiction, e.g. 本市 */
  area: string
}

/** The statement of one answer, plain text (the caller escapes it). */
export function statement (
  ctx: StatementContext,
  a: { question: string, questionTitle: string, answer: 'yes' | 'no', params: Params, asOf: string }
): string {
  const { lang } = ctx
  const text = TEXTS[a.question]
  const vars = { asOf: dateText(lang, a.asOf), who: WHO[ctx.named ? 'named' : 'unnamed'][lang], area: ctx.area }
  if (text !== undefined) return fill(lang, text[a.answer][lang], a.params, vars)
  const listed = Object.entries(a.params).map(([k, v]) => `${k} = ${String(v)}`).join(lang === 'zh' ? '，' : ', ')
  const shown = listed === '' ? '' : (lang === 'zh' ? `（${listed}）` : ` (${listed})`)
  return lang === 'zh'
    ? `经比对有关部门登记数据（数据截至${vars.asOf}），“${a.questionTitle}”${shown}的核验结果为：${YES_NO[a.answer].zh}。`
    : `According to the records (data as of ${vars.asOf}), “${a.questionTitle}”${shown}: ${YES_NO[a.answer].en}.`
}

/** Whether the answer is an identity check that said no: then nothing on the page is certified. */
export function voidsCertificate (a: { question: string, answer: 'yes' | 'no' }): boolean {
  return TEXTS[a.question]?.identity === true && a.answer === 'no'
}

/**
 * The certificate's title (design §14.4): its most specific answer's — the one answer whose own
 * title it certifies (无房产证明 for property.none = yes), identity checks beside it not counting.
 * Several different certified titles, none, or an identity check that failed: the generic title.
 */
export function certificateTitle (
  lang: Lang,
  answers: ReadonlyArray<{ question: string, answer: 'yes' | 'no' }>
): string {
  if (answers.some(voidsCertificate)) return GENERIC_TITLE[lang]
  const titles = new Set<string>()
  for (const a of answers) {
    const text = TEXTS[a.question]
    if (text?.title !== undefined && text.titleWhen === a.answer) titles.add(text.title[lang])
  }
  return titles.size === 1 ? [...titles][0]! : GENERIC_TITLE[lang]
}
