/**
 * What a printed certificate says about each answer, in Chinese and English. The questions of
 * the demo (design §6) have their own wording and, when the answer is the one the certificate
 * certifies, their own title (无房产证明 for property.none = yes); any other question gets a
 * generic statement built from its id and title. `{name}` is replaced by a parameter, `{asOf}`
 * by the snapshot date.
 */
export type Lang = 'zh' | 'en'
type Text = Record<Lang, string>

interface QuestionText {
  /** the certificate's title when this is its only answer and the answer is `titleWhen` */
  title?: Text
  titleWhen?: 'yes' | 'no'
  yes: Text
  no: Text
}

const TEXTS: Record<string, QuestionText> = {
  'property.none': {
    title: { zh: '无房产证明', en: 'Certificate of No Registered Property' },
    titleWhen: 'yes',
    yes: {
      zh: '经比对不动产登记数据（截至 {asOf}），该身份证号码持有人名下无登记的不动产。',
      en: 'According to the real estate register as of {asOf}, ' +
        'no property is registered to the holder of this ID number.'
    },
    no: {
      zh: '经比对不动产登记数据（截至 {asOf}），该身份证号码持有人名下有登记的不动产。',
      en: 'According to the real estate register as of {asOf}, ' +
        'property is registered to the holder of this ID number.'
    }
  },
  'property.holds': {
    yes: {
      zh: '经比对不动产登记数据（截至 {asOf}），该身份证号码持有人名下有登记的不动产。',
      en: 'According to the real estate register as of {asOf}, ' +
        'property is registered to the holder of this ID number.'
    },
    no: {
      zh: '经比对不动产登记数据（截至 {asOf}），该身份证号码持有人名下无登记的不动产。',
      en: 'According to the real estate register as of {asOf}, ' +
        'no property is registered to the holder of this ID number.'
    }
  },
  'tax.paid_in_year': {
    title: { zh: '完税证明', en: 'Certificate of Tax Paid' },
    titleWhen: 'yes',
    yes: {
      zh: '经比对税务数据（截至 {asOf}），该身份证号码持有人已缴纳 {year} 年度个人所得税。',
      en: 'According to the tax records as of {asOf}, ' +
        'the holder of this ID number paid personal income tax for {year}.'
    },
    no: {
      zh: '经比对税务数据（截至 {asOf}），未查到该身份证号码持有人 {year} 年度的个人所得税缴纳记录。',
      en: 'According to the tax records as of {asOf}, ' +
        'no personal income tax paid for {year} is recorded for the holder of this ID number.'
    }
  },
  'income.at_least': {
    yes: {
      zh: '经比对税务数据（截至 {asOf}），该身份证号码持有人 {year} 年度计税收入不低于 {min} 元。',
      en: 'According to the tax records as of {asOf}, ' +
        'the taxed income of the holder of this ID number for {year} is at least CNY {min}.'
    },
    no: {
      zh: '经比对税务数据（截至 {asOf}），该身份证号码持有人 {year} 年度计税收入低于 {min} 元。',
      en: 'According to the tax records as of {asOf}, ' +
        'the taxed income of the holder of this ID number for {year} is below CNY {min}.'
    }
  },
  'insurance.active_on': {
    title: { zh: '社保参保证明', en: 'Certificate of Social Insurance Enrolment' },
    titleWhen: 'yes',
    yes: {
      zh: '经比对社会保险数据（截至 {asOf}），该身份证号码持有人于 {date} 处于参保状态。',
      en: 'According to the social insurance records as of {asOf}, ' +
        'the holder of this ID number was enrolled on {date}.'
    },
    no: {
      zh: '经比对社会保险数据（截至 {asOf}），该身份证号码持有人于 {date} 未处于参保状态。',
      en: 'According to the social insurance records as of {asOf}, ' +
        'the holder of this ID number was not enrolled on {date}.'
    }
  },
  'identity.name_matches': {
    yes: {
      zh: '经比对户籍数据（截至 {asOf}），所报姓名与该身份证号码一致。',
      en: 'According to the household register as of {asOf}, ' +
        'the name given matches this ID number.'
    },
    no: {
      zh: '经比对户籍数据（截至 {asOf}），所报姓名与该身份证号码不一致。',
      en: 'According to the household register as of {asOf}, ' +
        'the name given does not match this ID number.'
    }
  }
}

export const GENERIC_TITLE: Text = { zh: '数据核验证明', en: 'Data Verification Certificate' }
export const YES_NO: Record<'yes' | 'no', Text> = { yes: { zh: '是', en: 'Yes' }, no: { zh: '否', en: 'No' } }

type Params = Record<string, string | number | boolean>

function fill (template: string, params: Params, asOf: string): string {
  return template.replace(/\{([a-zA-Z_]+)\}/g, (whole, name: string) => {
    if (name === 'asOf') return asOf
    return name in params ? String(params[name]) : whole
  })
}

/** The statement of one answer, plain text (the caller escapes it). */
export function statement (
  lang: Lang,
  question: string,
  questionTitle: string,
  answer: 'yes' | 'no',
  params: Params,
  asOf: string
): string {
  const text = TEXTS[question]
  if (text !== undefined) return fill(text[answer][lang], params, asOf)
  const listed = Object.entries(params).map(([k, v]) => `${k} = ${String(v)}`).join(', ')
  const shown = Object.keys(params).length === 0 ? '' : ' (' + listed + ')'
  return lang === 'zh'
    ? `核验事项「${questionTitle}」${shown}（截至 ${asOf}）：${YES_NO[answer].zh}。`
    : `${questionTitle}${shown}, as of ${asOf}: ${YES_NO[answer].en}.`
}

/** The certificate's title: the question's own for a single certifying answer, else the generic one. */
export function certificateTitle (
  lang: Lang,
  answers: ReadonlyArray<{ question: string, answer: 'yes' | 'no' }>
): string {
  const only = answers.length === 1 ? answers[0]! : undefined
  const text = only === undefined ? undefined : TEXTS[only.question]
  return text?.title !== undefined && text.titleWhen === only!.answer ? text.title[lang] : GENERIC_TITLE[lang]
}
