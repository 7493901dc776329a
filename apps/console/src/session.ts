// The token lives in this tab only (sessionStorage): closing the tab or "Sign out" forgets it.
const KEY = 'wabulk.token';

export const loadToken = (): string | null => sessionStorage.getItem(KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);
