/**
 * Text from an agent, a repository or a forge is untrusted: before it reaches
 * a terminal, escape sequences (colours, cursor moves, title changes,
 * hyperlinks, device queries) and control characters are dropped, so it can
 * neither rewrite what the operator sees nor talk to the terminal.
 */

// ESC then: CSI (parameters, intermediates, final byte); OSC, DCS, SOS, PM or
// APC (a string up to BEL or ST, or to the end when never terminated); or any
// other two-byte sequence (charset selection, keypad modes, RIS...).
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -/]*[0-~]?)/g;
// The 8-bit forms: CSI (0x9b) and the string introducers (OSC 0x9d, DCS 0x90, SOS 0x98, PM 0x9e, APC 0x9f).
const C1_SEQUENCES = /\u009b[0-?]*[ -/]*[@-~]?|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c\u001b]*(?:\u0007|\u009c)?/g;
/** C0 controls but tab and newline, DEL, and the C1 block. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** The same, and newline too: one line. */
const LINE_CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Untrusted text that may span lines, for a terminal: newlines and tabs stay, every other control goes. */
export function displayText(text: string): string {
  return text.replace(ESCAPES, '').replace(C1_SEQUENCES, '').replace(CONTROLS, '');
}

/** Untrusted text as one terminal line: tabs become spaces, newlines and every other control go. */
export function displayLine(line: string): string {
  return line.replace(ESCAPES, '').replace(C1_SEQUENCES, '').replace(/\t/g, '  ').replace(LINE_CONTROLS, '');
}

/** The colour codes agentctl's own paint uses: the only escape sequences it ever prints itself. */
const OWN_SGR = /(\u001b\[(?:1|2|22|31|32|33|36|39)m)/;

/** DEL and the C1 block: the only controls JSON.stringify leaves raw. */
const RAW_IN_JSON = /[\u007f-\u009f]/g;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The same JSON document with DEL and C1 characters written as \u escapes: equal data, nothing a terminal acts on. */
function escapeJson(text: string): string {
  return text.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Everything agentctl writes to stdout or stderr, as the last line of
 * defence: agentctl's own colour codes stay, anything else a field let
 * through is dropped as by displayText. JSON output (a document, or JSON
 * lines) keeps its data: the controls it carries are escaped, not dropped.
 */
export function displayOutput(text: string): string {
  // Fast path: plain text, the common case, costs one scan.
  if (!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text)) return text;
  if (isJson(text)) return escapeJson(text);
  return text
    .split('\n')
    .map((line) =>
      isJson(line)
        ? escapeJson(line)
        : line
            .split(OWN_SGR)
            .map((part, index) => (index % 2 === 1 ? part : displayText(part)))
            .join(''),
    )
    .join('\n');
}
