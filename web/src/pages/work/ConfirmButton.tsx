/**
 * A button for a change that cannot be undone (remove a person, revoke a token): it asks first in
 * an alert dialog that says what will happen, runs the change while the dialog stays open, and
 * shows the server's words when the change is refused.
 */
import type { UseMutationResult } from '@tanstack/react-query';
import { AlertDialog } from 'radix-ui';
import { useState } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice';

export function ConfirmButton({
  label,
  title,
  consequence,
  confirm,
  mutation,
}: {
  label: string;
  title: string;
  consequence: string;
  confirm: string;
  mutation: UseMutationResult<unknown, Error, void>;
}) {
  const [open, setOpen] = useState(false);
  return (
    <AlertDialog.Root
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) mutation.reset();
      }}
    >
      <AlertDialog.Trigger asChild>
        <button type="button" className="danger small-button">
          {label}
        </button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        <AlertDialog.Content className="dialog-content">
          <AlertDialog.Title>{title}</AlertDialog.Title>
          <AlertDialog.Description>{consequence}</AlertDialog.Description>
          <ErrorNotice error={mutation.error} />
          <div className="button-row dialog-actions">
            <AlertDialog.Cancel asChild>
              <button type="button">Cancel</button>
            </AlertDialog.Cancel>
            <button
              type="button"
              className="danger"
              disabled={mutation.isPending}
              onClick={() => mutation.mutate(undefined, { onSuccess: () => setOpen(false) })}
            >
              {confirm}
            </button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
