/** Near matches for a mistyped id (src/verifications/suggest.ts), table-driven. */
import t from 'tap'
import { editDistance, nearMatches } from '../../src/verifications/suggest.ts'

const QUESTIONS = ['identity.name_matches', 'property.holds', 'property.none', 'tax.paid_in_year', 'income.at_least']

t.test('edit distance (optimal string alignment)', async (t) => {
  for (const [a, b, d] of [
    ['', '', 0], ['a', '', 1], ['abc', 'abc', 0], ['abc', 'abd', 1], ['abc', 'acb', 1], ['abc', 'ab', 1],
    ['kitten', 'sitting', 3], ['住房', '住房保障', 2]
  ] as const) {
    t.equal(editDistance(a, b), d, `${a} → ${b}`)
    t.equal(editDistance(b, a), d, `${b} → ${a}`)
  }
})

t.test('near matches', async (t) => {
  for (const [word, expected] of [
    ['property.hold', ['property.holds']],
    ['property.nnoe', ['property.none']],
    ['Property.holds', ['property.holds']],
    ['tax.paid_in_yaer', ['tax.paid_in_year']],
    ['property.holds', []],
    ['secret.thing', []],
    ['x', []],
    ['propertyholds', ['property.holds']]
  ] as const) {
    t.same(nearMatches(word, QUESTIONS), expected, word)
  }
  t.same(nearMatches('nmae', ['name', 'idNumber']), ['name'], 'a field name')
  t.same(nearMatches('ab', ['ac', 'ad', 'ae', 'af']).length, 3, 'at most three')
})
