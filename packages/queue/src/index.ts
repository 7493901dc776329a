export { limiter } from './smoke.js';
