import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * pino JSON logs. Anything that looks like a credential is redacted wherever it appears in a
 * logged object, so a token or password can't reach the logs by accident.
 */
export function createLogger(service: string, level: string, options: LoggerOptions = {}): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: [
        'token',
        '*.token',
        'password',
        '*.password',
        'password_hash',
        '*.password_hash',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
        'req.headers["sec-websocket-protocol"]',
        'JWT_SECRET',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...options,
  });
}
