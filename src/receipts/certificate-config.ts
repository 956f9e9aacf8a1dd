/**
 * What a printed certificate says about its issuer (design §14.4), from the environment: who issues
 * it and for which area, how long it is valid, an optional seal image, and the public address its QR
 * code points at. Read once at start-up; a mistake stops the start with the variable's name.
 */
import { readFileSync } from 'node:fs'
import { extname, resolve } from 'node:path'

export interface CertificateConfig {
  /** SHIFOU_PUBLIC_URL: the address citizens and clerks reach the service at; null: the request's own host */
  publicUrl: string | null
  /** SHIFOU_CERT_ORGANISATION (+ _EN): the issuing organisation printed on the certificate */
  organisation: { zh: string, en: string }
  /** SHIFOU_CERT_JURISDICTION (+ _EN): the area the data covers, e.g. 本市 → 本市范围内 */
  jurisdiction: { zh: string, en: string }
  /** SHIFOU_CERT_VALID_DAYS: days a certificate is valid from its issue date (default 30) */
  validDays: number
  /** SHIFOU_CERT_SEAL: a PNG or SVG of the issuer's seal, as a data: URI; null: none printed */
  seal: string | null
}

export class CertificateConfigError extends Error {}

export const DEFAULT_CERTIFICATE_CONFIG: CertificateConfig = {
  publicUrl: null,
  organisation: { zh: '数据核验服务平台', en: 'Data Verification Service' },
  jurisdiction: { zh: '本市', en: 'this city' },
  validDays: 30,
  seal: null
}

const set = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim())

export function loadCertificateConfig (env: NodeJS.ProcessEnv): CertificateConfig {
  const d = DEFAULT_CERTIFICATE_CONFIG
  const url = set(env.SHIFOU_PUBLIC_URL)
  if (url !== undefined && !/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/.test(url)) {
    throw new CertificateConfigError('SHIFOU_PUBLIC_URL must be an http(s) URL without query or fragment')
  }
  const days = set(env.SHIFOU_CERT_VALID_DAYS)
  if (days !== undefined && !/^[1-9][0-9]{0,3}$/.test(days)) {
    throw new CertificateConfigError('SHIFOU_CERT_VALID_DAYS must be a whole number of days, 1–9999')
  }
  const sealPath = set(env.SHIFOU_CERT_SEAL)
  let seal: string | null = null
  if (sealPath !== undefined) {
    const type = { '.png': 'image/png', '.svg': 'image/svg+xml' }[extname(sealPath).toLowerCase()]
    if (type === undefined) throw new CertificateConfigError('SHIFOU_CERT_SEAL must be a .png or .svg file')
    let bytes: Buffer
    try {
      bytes = readFileSync(resolve(sealPath))
    } catch {
      throw new CertificateConfigError('SHIFOU_CERT_SEAL names a file that cannot be read')
    }
    seal = `data:${type};base64,${bytes.toString('base64')}`
  }
  const zh = set(env.SHIFOU_CERT_ORGANISATION)
  const jzh = set(env.SHIFOU_CERT_JURISDICTION)
  return {
    publicUrl: url === undefined ? null : url.replace(/\/+$/, ''),
    organisation: { zh: zh ?? d.organisation.zh, en: set(env.SHIFOU_CERT_ORGANISATION_EN) ?? zh ?? d.organisation.en },
    jurisdiction: {
      zh: jzh ?? d.jurisdiction.zh,
      en: set(env.SHIFOU_CERT_JURISDICTION_EN) ?? jzh ?? d.jurisdiction.en
    },
    validDays: days === undefined ? d.validDays : Number(days),
    seal
  }
}
