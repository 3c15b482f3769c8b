import type { ForgeLogger, LogLevel } from './logger.js';

/** One line a {@link recordingLogger} was given. */
export interface RecordedLine {
  readonly level: LogLevel;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** An object-first logger for unit tests that keeps every line. */
export function recordingLogger(): { lines: RecordedLine[]; logger: ForgeLogger } {
  const lines: RecordedLine[] = [];
  const at = (level: LogLevel) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}
