export type { Api, ApiContext, ApiOptions, RouteAuth } from './api-context.js';
export { buildApi } from './build-api.js';
export { runApi } from './run-api.js';
export { createBearerAuth, createCallbackAuth, mayUseAccount, type ApiTokenInput, type BearerAuth, type CallbackAuthSettings, type Caller } from './auth.js';
export { kaleyraCallbackSchema, toCallbackAction, type KaleyraCallback } from './callback-payload.js';
export { toErrorAnswer, type ErrorAnswer } from './error-handler.js';
export { defaultConsoleDir } from './console-route.js';
export { connectApiRedis } from './api-redis.js';
