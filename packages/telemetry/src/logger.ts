import { pino, type Logger, type LoggerOptions } from 'pino';
import { maskDigits, maskPhone } from './mask.js';

export type { Logger } from 'pino';

/** Fields that hold secrets: replaced whole. */
const SECRET_PATHS = ['apiKey', '*.apiKey', '*.*.apiKey', 'api-key', '*["api-key"]', '*.headers["api-key"]', 'password', '*.password', 'token', '*.token', 'authorization', '*.authorization'];
/** Fields that hold phone numbers: masked to the last 4 digits. */
const PHONE_FIELDS = new Set(['to', 'phone', 'mobile', 'recipient', 'input']);
/** Identifiers that embed a phone number (job ids are <campaign>-<number>): digit runs masked. */
const ID_FIELDS = new Set(['jobId']);
const PHONE_PATHS = [...PHONE_FIELDS, ...ID_FIELDS].flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export interface LoggerSettings {
  level?: string;
  name?: string;
  /** Pretty, coloured lines for a person at a terminal; JSON otherwise. Default: stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests pass a stream). */
  destination?: pino.DestinationStream;
}

/**
 * The one pino logger of a process: JSON lines, `redact` for api keys and tokens, phone numbers
 * masked to their last 4 digits. Per-job context goes in `logger.child({ campaignId, jobId, account })`.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: settings.name ? { name: settings.name } : {},
    redact: {
      paths: [...SECRET_PATHS, ...PHONE_PATHS],
      censor: (value, path) => {
        const field = String(path[path.length - 1]);
        if (PHONE_FIELDS.has(field)) return maskPhone(value);
        if (ID_FIELDS.has(field)) return maskDigits(value);
        return '[redacted]';
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const pretty = settings.pretty ?? (settings.destination === undefined && process.stdout.isTTY === true);
  if (settings.destination) return pino(options, settings.destination);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options);
}
