import pLimit from 'p-limit';
export const limiter = () => pLimit(2);
