// The output formats, their content types and file extensions (no rendering here, so the
// CLI and the HTTP layer can name formats without loading the renderers' dependencies).
import { FlameError } from './errors.js';

export type FlameFormat = 'svg' | 'html' | 'folded' | 'speedscope' | 'pprof';
export const FLAME_FORMATS: readonly FlameFormat[] = ['svg', 'html', 'folded', 'speedscope', 'pprof'];

export function isFlameFormat(value: string): value is FlameFormat {
  return (FLAME_FORMATS as readonly string[]).includes(value);
}

/** Only reachable from untyped callers: the switches below are exhaustive. */
export function unknownFormat(format: never): never {
  throw new FlameError('FLAME_BAD_FORMAT', `unknown flame format ${JSON.stringify(format)}; expected one of ${FLAME_FORMATS.join(', ')}`);
}

export function contentTypeOf(format: FlameFormat): string {
  switch (format) {
    case 'svg':
      return 'image/svg+xml; charset=utf-8';
    case 'html':
      return 'text/html; charset=utf-8';
    case 'folded':
      return 'text/plain; charset=utf-8';
    case 'speedscope':
      return 'application/json; charset=utf-8';
    case 'pprof':
      return 'application/octet-stream';
    default:
      return unknownFormat(format);
  }
}

/** File name extension without the leading dot: `${id}.${fileExtensionOf(format)}`. */
export function fileExtensionOf(format: FlameFormat): string {
  switch (format) {
    case 'svg':
      return 'svg';
    case 'html':
      return 'html';
    case 'folded':
      return 'folded';
    case 'speedscope':
      return 'speedscope.json';
    case 'pprof':
      return 'pb.gz';
    default:
      return unknownFormat(format);
  }
}
