/**
 * QR codes of receipts (ISO/IEC 18004), through the `qrcode` package, offline: an SVG to inline in
 * the printable certificate and a PNG for kiosk printers. Byte mode, error correction M (15% of
 * the symbol may be lost to a crease or a smudge); a receipt of ~750 characters is a version 22–25
 * symbol, about 4 cm wide at 2 modules per millimetre.
 */
import QRCode from 'qrcode'

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const

export async function qrSvg (text: string): Promise<string> {
  return await QRCode.toString(text, { ...OPTIONS, type: 'svg' })
}

/** A PNG with `scale` pixels per module. */
export async function qrPng (text: string, scale = 4): Promise<Buffer> {
  return await QRCode.toBuffer(text, { ...OPTIONS, type: 'png', scale })
}
