/**
 * How a consent token names its subject without the ID number (claim `sub_h`):
 *
 *   sub_h = hex(SHA-256("shifou/v1/consent-subject" ‖ 0x00 ‖ normalisedId))
 *
 * An issuer (kiosk, citizen portal) cannot compute the audit pseudonym, which needs the service's
 * key, so the token carries this plain hash instead. It can be reversed by trying the ~2^37
 * plausible IDs; that is accepted because only the kiosk, the citizen and the caller hold the
 * token, and all three know the ID already. shifou never stores the token or this hash: only its
 * `jti`, in consent_uses and in the audit entries.
 */
import { createHash } from 'node:crypto'

const DOMAIN = 'shifou/v1/consent-subject'

export function consentSubjectHash (normalisedId: string): string {
  return createHash('sha256').update(DOMAIN, 'utf8').update(Buffer.of(0)).update(normalisedId, 'utf8').digest('hex')
}
