import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmRequest {
  title: string;
  body: ComponentChildren;
  /** Runs on "Confirm"; a thrown error is shown in the dialog, which stays open. */
  action: () => Promise<unknown>;
  /** Called with the action's result after it succeeded. */
  done?: (result: unknown) => void;
}

/**
 * A modal confirmation (the native <dialog>: focus moves into it, Escape closes it, the page behind
 * cannot be clicked). Its buttons are "Confirm" and "Back".
 */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (request && !dialog.open) {
      setError(undefined);
      setBusy(false);
      dialog.showModal();
    } else if (!request && dialog.open) dialog.close();
  }, [request]);

  const confirm = async () => {
    if (!request) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await request.action();
      request.done?.(result);
      onClose();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={onClose} onCancel={(e) => busy && e.preventDefault()}>
      {request && (
        <form method="dialog" onSubmit={(e) => { e.preventDefault(); void confirm(); }}>
          <h2 id="confirm-title">{request.title}</h2>
          <div class="confirm-body">{request.body}</div>
          {error && <p class="error" role="alert">{error}</p>}
          <div class="actions">
            <button type="button" onClick={onClose} disabled={busy}>
              Back
            </button>
            <button type="submit" class="primary" disabled={busy} autofocus>
              {busy ? 'Working…' : 'Confirm'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
