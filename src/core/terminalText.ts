// The last step before text reaches a terminal or a file: secrets redacted and control characters removed, so a
// process title like "node \x1b]0;pwned\x07" or a log line cannot move the cursor, retitle the window or hide text.
import { redactText } from './redact';

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that reorder what is shown.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Removes control characters (keeps \n and \t). */
export function stripControl(s: string): string {
  return s.replace(CONTROL, '');
}

/** Redacted and free of control characters: safe to print. */
export function terminalText(s: string): string {
  return stripControl(redactText(s));
}

export interface TextSink {
  write(s: string): unknown;
}

/** A writer that passes everything through terminalText. */
export function safeSink(sink: TextSink): TextSink {
  return { write: (s: string) => sink.write(terminalText(String(s))) };
}
