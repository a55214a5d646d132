// Escaping for text that ends up in SVG/HTML markup. Labels come from symbol tables and
// event fields from tracers: any of them may hold <, &, quotes or control characters.
const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Safe in XML/HTML text and in double- or single-quoted attributes. Characters XML 1.0
 * cannot carry (most C0 controls, lone surrogates) become U+FFFD; tabs and newlines stay
 * (a <pre> needs them; frame labels are made one line earlier, by cleanLabel).
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => entities[c]!);
}
