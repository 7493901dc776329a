export { createLogger, type Logger, type LoggerSettings } from './logger.js';
export { maskDigits, maskPhone } from './mask.js';
export { createMetrics, type Metrics } from './metrics.js';
