// Text that came from the host (process names, file names, container labels) is attacker-
// controlled: a comm of "a\nb" broke folded stacks, and ESC sequences printed raw can
// rewrite a terminal. Control characters are made visible as \xNN escapes instead.

// C0 controls, DEL and the C1 controls (ESC-less CSI and friends in some terminals).
const controlChars = /[\u0000-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex

export function escapeControlChars(text: string): string {
  return text.replace(controlChars, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Like escapeControlChars, but keeps newlines and tabs (multi-line text shown as text). */
export function escapeControlCharsKeepLines(text: string): string {
  return text.replace(controlChars, (c) => (c === '\n' || c === '\t' ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
