/**
 * Just enough of a PNG decoder (node:zlib, no image library) to tell a rendered page from a
 * blank one: 8-bit greyscale, RGB, grey+alpha and RGBA, not interlaced — what Chromium's
 * screenshots are.
 * @see https://www.w3.org/TR/png-3/
 */
import { inflateSync } from 'node:zlib'

/** A decoded image: `channels` bytes per pixel, rows top to bottom. */
export interface Image {
  readonly width: number
  readonly height: number
  readonly channels: number
  readonly pixels: Buffer
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 }

/** Decode `png`; throws on anything this small decoder does not handle. */
export function decodePNG(png: Buffer): Image {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature')
  let offset = 8
  let width = 0
  let height = 0
  let channels = 0
  const data: Buffer[] = []
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    const body = png.subarray(offset + 8, offset + 8 + length)
    offset += 12 + length // length, type, data, CRC
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const depth = body.readUInt8(8)
      const colourType = body.readUInt8(9)
      const interlace = body.readUInt8(12)
      const n = CHANNELS[colourType]
      if (depth !== 8 || n === undefined || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`)
      }
      channels = n
    } else if (type === 'IDAT') {
      data.push(body)
    } else if (type === 'IEND') {
      break
    }
  }
  if (channels === 0) throw new Error('not a PNG: no IHDR')
  return { width, height, channels, pixels: unfilter(inflateSync(Buffer.concat(data)), width, height, channels) }
}

/** Undo the per-row filters (PNG §7.3 and §9). */
function unfilter(raw: Buffer, width: number, height: number, bpp: number): Buffer {
  const stride = width * bpp
  if (raw.length < height * (stride + 1)) throw new Error('truncated PNG data')
  const out = Buffer.alloc(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw.readUInt8(y * (stride + 1))
    const src = y * (stride + 1) + 1
    const row = y * stride
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out.readUInt8(row + x - bpp) : 0
      const b = y > 0 ? out.readUInt8(row - stride + x) : 0
      const c = x >= bpp && y > 0 ? out.readUInt8(row - stride + x - bpp) : 0
      let predictor: number
      switch (filter) {
        case 0:
          predictor = 0
          break
        case 1:
          predictor = a
          break
        case 2:
          predictor = b
          break
        case 3:
          predictor = (a + b) >> 1
          break
        case 4:
          predictor = paeth(a, b, c)
          break
        default:
          throw new Error(`bad PNG filter type ${filter} on row ${y}`)
      }
      out.writeUInt8((raw.readUInt8(src + x) + predictor) & 0xff, row + x)
    }
  }
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  if (pa <= pb && pa <= pc) return a
  return pb <= pc ? b : c
}

/** How many pixels differ from the top-left pixel's colour (the page's background). */
export function pixelsUnlikeBackground(image: Image): number {
  const { pixels, channels } = image
  const background = pixels.subarray(0, channels)
  let count = 0
  for (let i = 0; i < pixels.length; i += channels) {
    if (!pixels.subarray(i, i + channels).equals(background)) count++
  }
  return count
}
