import { z } from 'zod';
import { API_SCOPES } from '@wabulk/config';
import type { Api } from '../api-context.js';

const meSchema = z.object({
  name: z.string().describe('the token\'s name in WABULK_API_TOKENS_FILE; for a WABULK_API_TOKENS token its `tok_` id (the first 12 hex digits of its SHA-256), as the API logs it'),
  scopes: z.array(z.enum(API_SCOPES)).describe(`what the token may do, in this order: ${API_SCOPES.join(', ')}`),
  accounts: z.array(z.string()).describe('the accounts the token may use, sorted; ["*"] for every account'),
});

/** GET /v1/me: who the bearer token is (a console shows it and hides what the token may not do). Never the token itself. */
export function meRoutes(app: Api): void {
  app.get(
    '/v1/me',
    {
      // Any valid token may ask who it is: the route needs no scope (buildApi's documented exception).
      config: { scope: 'none' },
      schema: { tags: ['tokens'], summary: 'who the bearer token is: its name, scopes and accounts', response: { 200: meSchema } },
    },
    async (request) => {
      const caller = request.caller!;
      return {
        name: caller.name,
        scopes: API_SCOPES.filter((s) => caller.scopes.has(s)),
        accounts: caller.accounts === '*' ? ['*'] : [...caller.accounts].sort(),
      };
    },
  );
}
