/**
 * The console in real Chromium (design §14.4): each role signs in (the development sign-in here;
 * OpenID Connect in test/console/oidc.test.ts) and does its job through the pages — the auditor
 * filters the log, opens an entry and sees it verified (and a tampered one fail), searches a subject
 * with a reason and acknowledges an alert; the department admin uploads a file and sees its progress,
 * load record and rejected rows, and syncs a pull connector now; the auditor reads the summary; the admin
 * reads the clients and registers a purpose and a question (its predicate errors inline); the citizen reads
 * who checked them.
 * axe-core finds no serious or critical violation on any page.
 *
 * SHIFOU_SCREENSHOTS=docs/screenshots saves a screenshot of each page (the README shows them).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { build, ADMIN, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { storeAlert } from '../../src/abuse/alerts.ts'
import { CONSOLE_DEFAULTS } from '../../src/console/config.ts'
import { listen, newPage, seriousViolations } from './browser.ts'
import { departmentPostgres } from '../helpers/department.ts'

const SHOTS = process.env.SHIFOU_SCREENSHOTS

async function checkPage (t: Test, page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle')
  t.same(await seriousViolations(page), [], `${name}: no serious or critical accessibility violation`)
  if (SHOTS !== undefined) {
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: false })
  }
}

async function devSignIn (
  page: Page, base: string, role: string, extra: (page: Page) => Promise<void> = async () => {}
): Promise<void> {
  await page.goto(base + '/console')
  await page.getByLabel('角色').selectOption(role)
  await extra(page)
  await page.getByRole('button', { name: '登录' }).click()
  await page.getByRole('button', { name: '退出登录' }).waitFor()
}

t.test('the console in Chromium', async (t) => {
  const { app, database, keyring, verified, as } = await build(t, {
    console: { ...CONSOLE_DEFAULTS, devSignIn: true }, checkpointSeconds: 1
  })
  const { people } = await loadDemo(database, keyring, 40)
  const alice = people[0]!
  for (const [i, p] of people.slice(0, 4).entries()) {
    await verified(CALLER, { idNumber: p.idNumber, name: p.name, questions: ['identity.name_matches', 'property.none'],
      caseId: `HS-2026-000${i}` })
  }
  await verified(CALLER, { idNumber: alice.idNumber, questions: ['property.holds'], caseId: 'HS-2026-0009' })
  const alertId = await storeAlert(database, {
    kind: 'UNKNOWN_SUBJECTS', client: CALLER.sub, organisation: null, scope: CALLER.sub, day: '2026-12-06',
    detail: { unknown: 12, of: 15 }
  })
  const base = await listen(t, app)
  const page = await newPage(t)

  await t.test('sign-in page', async (t) => {
    await page.goto(base + '/console')
    await page.getByRole('heading', { name: '登录', exact: true }).waitFor()
    t.ok(await page.getByText('开发用登录').isVisible(), 'the development sign-in is clearly marked')
    await checkPage(t, page, 'signin')
  })

  await t.test('auditor: the log, filtered', async (t) => {
    await devSignIn(page, base, 'auditor')
    await page.getByRole('heading', { name: '审计日志' }).waitFor()
    await page.locator('table.log tbody tr').first().waitFor()
    await checkPage(t, page, 'auditor-log')
    await page.getByLabel('核验事项').fill('property.holds')
    await page.getByLabel('结果').selectOption('no')
    await page.getByRole('button', { name: '查询' }).click()
    await page.waitForURL(/question=property.holds/)
    await page.locator('table.log tbody tr').first().waitFor()
    const rows = await page.locator('table.log tbody tr').allInnerTexts()
    t.equal(rows.length, 1, 'one entry asked property.holds and was answered no')
    t.match(rows[0], /名下有登记的不动产/, 'the question\'s title')
    t.match(rows[0], /住房补贴申请/, 'the purpose\'s title')
    t.match(rows[0], /HS-2026-0009/)
  })

  await t.test('auditor: an entry verified in the browser, a tampered one failed', async (t) => {
    await page.locator('table.log tbody tr a').first().click()
    await page.getByText('已验证').waitFor({ timeout: 15_000 })
    t.match(await page.locator('#verdict').innerText(), /✓ 已验证/)
    await checkPage(t, page, 'auditor-entry')

    const [victim] = await database.query<{ index: number }>(
      `select index from audit_entries where kind = 'answer' and case_id = 'HS-2026-0003' order by index limit 1`)
    await database.transaction(async (tx) => {
      await tx.query('alter table audit_entries disable trigger user')
      await tx.query(`update audit_entries set entry = convert_to(replace(convert_from(entry, 'UTF8'),
        '"answer":"yes"', '"answer":"no"'), 'UTF8') where index = $1`, [victim!.index])
      await tx.query('alter table audit_entries enable trigger user')
    })
    await page.goto(`${base}/console#/entry/${victim!.index}`)
    await page.getByText('验证失败').waitFor({ timeout: 15_000 })
    t.match(await page.locator('#verdict').innerText(), /✗ 验证失败/, 'the altered entry fails')
  })

  await t.test('auditor: a subject search with a reason', async (t) => {
    await page.getByRole('link', { name: '按人查询' }).click()
    await page.getByLabel('居民身份证号码').fill(people[1]!.idNumber)
    await page.getByLabel('查询理由').fill('纪检案件 2026-17 核查')
    await page.getByRole('button', { name: '查询' }).click()
    await page.getByText('本次查询已记入审计日志').waitFor()
    const found = await page.locator('table.log tbody tr').allInnerTexts()
    t.equal(found.filter((r) => /\banswer\b/.test(r)).length, 2, 'the two answers about that person')
    t.equal(found.filter((r) => /subject-search/.test(r)).length, 1, 'and this search itself')
    await checkPage(t, page, 'auditor-search')
  })

  await t.test('auditor: the summary by day, caller, purpose and question', async (t) => {
    await page.getByRole('link', { name: '统计', exact: true }).click()
    await page.getByRole('heading', { name: '核验统计' }).waitFor()
    await page.locator('svg.chart').waitFor()
    const [row] = await database.query<{ n: string }>("select count(*) as n from audit_entries where kind = 'answer'")
    const n = row!.n
    t.match(await page.locator('#summary-status').innerText(), new RegExp(`共 ${n} 次核验`), 'the total')
    t.equal(await page.locator('svg.chart rect.bar-yes').count(), 1, 'one day of answers, one bar')
    t.match(await page.getByRole('img', { name: /每日核验次数/ }).getAttribute('aria-labelledby') ?? '', /chart-t/)
    const byQuestion = await page.getByRole('table', { name: '按核验事项' }).innerText()
    t.match(byQuestion, /名下有登记的不动产\s+property\.holds\s+1\b/, 'the question in words, with its count')
    t.match(await page.getByRole('table', { name: '按调用方' }).innerText(), new RegExp(`${CALLER.sub}\\s+${n}\\b`))
    await checkPage(t, page, 'auditor-summary')
  })

  await t.test('auditor: acknowledge an alert', async (t) => {
    await page.getByRole('link', { name: '告警' }).click()
    const button = page.getByRole('button', { name: `确认告警 ${alertId!}` })
    await button.waitFor()
    await checkPage(t, page, 'auditor-alerts')
    await button.click()
    await page.getByRole('status').filter({ hasText: '已确认' }).waitFor()
    const [ack] = await database.query<{ acknowledged_by: string }>(
      'select acknowledged_by from alerts where id = $1', [alertId])
    t.equal(ack!.acknowledged_by, 'dev-auditor')
    await page.getByRole('button', { name: '退出登录' }).click()
    await page.getByRole('heading', { name: '登录', exact: true }).waitFor()
  })

  await t.test('department admin: upload with progress, load record and rejected rows', async (t) => {
    await devSignIn(page, base, 'dept_admin', async (p) => { await p.getByLabel('部门').selectOption('tax') })
    await page.getByRole('heading', { name: /tax/ }).first().waitFor()
    const rows = ['id_number,year,amount']
    for (const p of people) rows.push(`${p.idNumber},2025,${1000 + rows.length}`)
    rows.push('110105194912310021,2025,12', `${people[2]!.idNumber},2025,not-a-number`)
    // Padding rows of the same people make the body large enough for progress events.
    for (let i = 0; i < 20_000; i++) rows.push(`${people[i % people.length]!.idNumber},${2000 + (i % 20)},${i}`)
    await page.getByLabel('文件（CSV 或 NDJSON）').setInputFiles({
      name: 'tax.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n')
    })
    // Every value the progress bar shows, as the upload runs.
    await page.evaluate(`(() => {
      const bar = document.querySelector('progress')
      window.progressSeen = []
      new MutationObserver(() => { window.progressSeen.push(Number(bar.value)) }).observe(bar, { attributes: true })
    })()`)
    await page.getByRole('button', { name: '上传' }).click()
    await page.getByText('加载完成').waitFor({ timeout: 30_000 })
    t.equal(await page.getByRole('progressbar').getAttribute('value'), '100', 'the progress bar is full')
    const seen = await page.evaluate('window.progressSeen') as number[]
    t.ok(seen.length > 0 && seen.at(-1) === 100, `progress was shown (${seen.join(', ')})`)
    t.match(await page.getByText('加载完成').innerText(), /拒绝 2 行/)
    const rejects = page.getByRole('table', { name: /被拒绝的行/ })
    t.equal(await rejects.locator('tbody tr').count(), 2)
    t.match(await rejects.innerText(), /INVALID_ID_NUMBER/)
    t.notMatch(await page.content(), /not-a-number/, 'a rejected value is never shown')
    t.ok(await page.getByRole('link', { name: '下载拒绝报告（CSV）' }).first().isVisible())
    await checkPage(t, page, 'dept-connectors')
    await page.getByRole('button', { name: '退出登录' }).click()
  })

  await t.test('department admin: sync a pull connector now', async (t) => {
    const dept = await departmentPostgres(t)
    await dept.exec('create table homes (sfzh varchar(18), floors integer)')
    for (const p of people.slice(0, 5)) await dept.exec('insert into homes values ($1, 3)', [p.idNumber])
    const created = await as(ADMIN)('POST', '/v1/connectors', {
      id: 'homes', department: 'tax', title: 'Homes', kind: 'pull',
      source: { engine: 'postgres', url: dept.url, query: 'select * from homes order by 1' },
      subject: { field: 'id_number', type: 'cn_resident_id', column: 'sfzh' },
      fields: [{ name: 'floors', type: 'integer' }]
    })
    t.equal(created.statusCode, 201, created.body)
    await devSignIn(page, base, 'dept_admin', async (p) => { await p.getByLabel('部门').selectOption('tax') })
    const sync = page.getByRole('button', { name: '立即同步 homes' })
    await sync.click()
    await page.getByText('同步完成').waitFor({ timeout: 15_000 })
    t.match(await page.getByText('同步完成').innerText(), /5 行，拒绝 0 行/)
    await sync.click()
    await page.getByText('数据未变化').waitFor({ timeout: 15_000 })
    await checkPage(t, page, 'dept-sync')
    await dept.exec('drop table homes')
    await sync.click()
    await page.getByText('同步失败').waitFor({ timeout: 15_000 })
    t.match(await page.getByText('同步失败').innerText(), /出错: .+\([A-Z_]+\)/, 'the error in words, with its code')
    await page.getByRole('button', { name: '退出登录' }).click()
  })

  await t.test('admin: clients and purposes', async (t) => {
    await devSignIn(page, base, 'admin')
    await page.getByRole('heading', { name: '调用方（审批系统）' }).waitFor()
    t.match(await page.locator('table').first().innerText(), /demo-housing/)
    await checkPage(t, page, 'admin-clients')
    await page.getByLabel('调用方', { exact: true }).selectOption('demo-housing')
    await page.getByLabel('每日查询人数').fill('321')
    await page.getByRole('button', { name: '保存' }).click()
    await page.getByRole('status').filter({ hasText: '已保存' }).waitFor()
    const [quota] = await database.query<{ q: unknown }>("select quotas as q from clients where id = 'demo-housing'")
    t.match(JSON.stringify(quota!.q), /321/, 'the quota is stored')
    await page.getByRole('link', { name: '用途', exact: true }).click()
    await page.getByRole('heading', { name: '用途', exact: true }).waitFor()
    t.match(await page.locator('table').first().innerText(), /housing-subsidy/)
    await page.getByLabel('用途代码').fill('talent-housing')
    await page.getByLabel('中文名称').fill('人才住房申请')
    await page.getByLabel('英文名称').fill('Talent housing application')
    await page.getByRole('button', { name: '登记' }).click()
    await page.getByRole('status').filter({ hasText: '已登记' }).waitFor()
    t.match(await page.locator('table').first().innerText(), /talent-housing\s+人才住房申请/, 'the new purpose, titled')
    await checkPage(t, page, 'admin-purposes')

    await page.getByRole('link', { name: '核验事项', exact: true }).click()
    await page.getByRole('heading', { name: '登记核验事项' }).waitFor()
    await page.getByLabel('事项代码').fill('tax.paid_some')
    await page.getByLabel('数据源').selectOption('tax')
    await page.getByLabel('中文名称').fill('有纳税记录')
    await page.getByLabel('判定条件（JSON）').fill('{"sum": {"field": "salary", "gte": 1}}')
    await page.getByRole('button', { name: '登记' }).click()
    const errors = page.locator('#q-when-errors li')
    await errors.first().waitFor()
    t.match(await errors.first().innerText(), /salary/, 'the predicate\'s error, beside the predicate')
    t.equal(await page.getByLabel('判定条件（JSON）').getAttribute('aria-invalid'), 'true')
    await checkPage(t, page, 'admin-questions')
    await page.getByLabel('判定条件（JSON）').fill('{"sum": {"field": "amount", "gte": 1}}')
    await page.getByRole('button', { name: '登记' }).click()
    await page.getByRole('status').filter({ hasText: '已登记' }).waitFor()
    t.match(await page.locator('table').first().innerText(), /tax\.paid_some/, 'the new question is listed')

    await page.getByRole('link', { name: '部门', exact: true }).click()
    await page.getByRole('heading', { name: '登记部门' }).waitFor()
    await page.getByLabel('部门代码').fill('civil-affairs')
    await page.getByLabel('名称').fill('民政局')
    await page.getByRole('button', { name: '登记' }).click()
    await page.getByRole('status').filter({ hasText: '已登记' }).waitFor()
    t.match(await page.locator('table').first().innerText(), /civil-affairs\s+民政局/, 'the new department is listed')
    await checkPage(t, page, 'admin-departments')

    await page.getByRole('link', { name: '数据源', exact: true }).click()
    await page.getByRole('heading', { name: '登记文件数据源' }).waitFor()
    await page.getByLabel('数据源代码').fill('welfare')
    await page.getByLabel('部门', { exact: true }).selectOption('civil-affairs')
    await page.getByLabel('中文名称').fill('低保名单')
    await page.getByLabel('每人最多行数').fill('50')
    await page.getByLabel('数据有效天数').fill('30')
    await page.getByRole('button', { name: '登记' }).click()
    await page.getByRole('status').filter({ hasText: '已登记' }).waitFor()
    t.ok(await page.getByRole('heading', { name: '低保名单 (welfare)' }).isVisible(), 'the new connector')
    const registered = (await as(ADMIN)('GET', '/v1/connectors/welfare')).json()
    t.same([registered.maxRecordsPerSubject, registered.maxAgeDays], [50, 30],
      'rows per person and days the data answers for, as entered')
    await page.getByRole('button', { name: '退出登录' }).click()
  })

  await t.test('citizen: who checked me, newest first, verified', async (t) => {
    await devSignIn(page, base, 'subject')
    await page.getByRole('heading', { name: '谁查询了我' }).waitFor()
    await page.getByText('均已验证').waitFor({ timeout: 15_000 })
    const items = await page.locator('ol.access > li').allInnerTexts()
    t.equal(items.length, 3, 'three answers about this person')
    t.match(items[0], /HS-2026-0009/, 'newest first')
    t.match(items[0], /名下有登记的不动产/, 'the question in words')
    t.match(items[0], /住房补贴申请/, 'the purpose in words')
    t.notOk(items.some((i) => /property\.|identity\.|housing-subsidy/.test(i)), 'no raw ids')
    t.ok(items.every((i) => i.includes('已验证')), 'each entry verified')
    await checkPage(t, page, 'citizen')
  })

  await t.test('English', async (t) => {
    await page.goto(base + '/console?lang=en#/me')
    await page.getByRole('heading', { name: 'Who checked me' }).waitFor()
    await page.getByText('entries verified').waitFor({ timeout: 15_000 })
    t.equal(await page.locator('html').getAttribute('lang'), 'en')
  })
})
