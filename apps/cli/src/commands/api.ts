import { runApi } from '@wabulk/api';

/** `wabulk api`: serves the HTTP API until SIGTERM/SIGINT (env: API_PORT, WABULK_API_TOKENS / WABULK_API_TOKENS_FILE, WABULK_CALLBACK_*); SIGHUP re-reads the token file. */
export function apiCommand(env: Record<string, string | undefined> = process.env): Promise<void> {
  return runApi(env);
}
