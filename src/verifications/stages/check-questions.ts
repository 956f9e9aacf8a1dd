/**
 * Stage 3: each question's parameters are typed and complete, and a question that compares the
 * subject's name has one to compare (400, not audited).
 */
import { validateParams } from '../../matchers/predicate/index.ts'
import { Refusal, type Authorised, type Checked } from '../types.ts'

export function checkQuestions (v: Authorised): Checked | Refusal {
  const asked: Checked['asked'] = []
  for (let i = 0; i < v.questions.length; i++) {
    const question = v.questions[i]!
    const p = validateParams(question.params, v.request.questions[i]!.params ?? {})
    if (!p.ok) return new Refusal('INVALID_PARAM', `questions/${i}/params: ${p.message}`)
    if (question.predicate.usesSubjectName && v.subject.name === null) {
      const detail = `Question ${question.id} compares the subject's name; send subject.name`
      return new Refusal('SUBJECT_NAME_REQUIRED', detail)
    }
    asked.push({ question, params: p.params })
  }
  return { ...v, asked }
}
