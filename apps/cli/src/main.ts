import { limiter } from '@wabulk/queue';
console.log('cli ok', await limiter()(async () => 42));
