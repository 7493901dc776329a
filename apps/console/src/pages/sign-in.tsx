import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';

/** Sign-in: the API token, checked against GET /v1/me before anything else is shown. */
export function SignIn({ onSignIn, notice }: { onSignIn: (token: string) => Promise<void>; notice?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (t === '') {
      setError('Enter an API token (one of WABULK_API_TOKENS or WABULK_API_TOKENS_FILE).');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(t);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong token: the API does not accept it.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>wabulk console</h1>
      <p>Campaigns, accounts and the suppression list of this wabulk, through its HTTP API.</p>
      {notice && <p class="notice">{notice}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">API token</label>
        <input id="token" name="token" type="text" class="secret" autocomplete="off" autocapitalize="off" spellcheck={false} data-1p-ignore data-lpignore="true" value={token} onInput={(e) => setToken(e.currentTarget.value)} aria-describedby="token-help" aria-invalid={error ? true : undefined} />
        <p id="token-help" class="help">
          Kept in this browser tab only, and sent to this API as a bearer token. What the token's scopes do not allow is not offered.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
