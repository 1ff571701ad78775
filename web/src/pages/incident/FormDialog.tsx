/**
 * A dialog holding one form (radix Dialog: focus kept inside while open, Escape closes, focus goes
 * back to the button that opened it). The caller owns `open` so it can close the dialog when its
 * change succeeds.
 */
import { Dialog } from 'radix-ui';
import type { ReactNode } from 'react';

export function FormDialog({
  trigger,
  title,
  description,
  open,
  onOpenChange,
  children,
}: {
  trigger: ReactNode;
  title: string;
  description?: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
}) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Trigger asChild>{trigger}</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog-content" aria-describedby={description === undefined ? undefined : 'dialog-description'}>
          <Dialog.Title className="dialog-title">{title}</Dialog.Title>
          {description !== undefined && (
            <Dialog.Description id="dialog-description" className="muted">
              {description}
            </Dialog.Description>
          )}
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** A dialog form's buttons: the submit (disabled while its change runs) and Cancel. */
export function DialogButtons({ submit, pending }: { submit: string; pending: boolean }) {
  return (
    <div className="dialog-buttons">
      <button type="submit" className="primary" disabled={pending}>
        {pending ? `${submit}…` : submit}
      </button>
      <Dialog.Close asChild>
        <button type="button">Cancel</button>
      </Dialog.Close>
    </div>
  );
}

/** Splits a comma- or space-separated list typed in one field. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
