/**
 * A list's filters as a form: each field labelled, applied together on submit (written to the
 * query string by the page), and a Clear button when any is set. The form starts over from the
 * query string whenever it changes (back, forward, a shared link).
 */
import { useState, type FormEvent } from 'react';

export interface FilterField {
  name: string;
  label: string;
  /** A text box unless options are given (the first option should be the "any" one, value ''). */
  options?: readonly { value: string; label: string }[];
  placeholder?: string;
  type?: 'text' | 'datetime-local';
}

function Fields({ fields, values, onApply }: { fields: readonly FilterField[]; values: Record<string, string>; onApply: (v: Record<string, string>) => void }) {
  const [draft, setDraft] = useState(values);
  const anySet = fields.some((f) => (values[f.name] ?? '') !== '');
  function submit(e: FormEvent) {
    e.preventDefault();
    onApply(Object.fromEntries(fields.map((f) => [f.name, (draft[f.name] ?? '').trim()])));
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Filters">
      {fields.map((f) => (
        <label key={f.name}>
          {f.label}
          {f.options !== undefined ? (
            <select value={draft[f.name] ?? ''} onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })}>
              {f.options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : (
            <input type={f.type ?? 'text'} value={draft[f.name] ?? ''} placeholder={f.placeholder} onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })} />
          )}
        </label>
      ))}
      <button type="submit">Apply filters</button>
      {anySet && (
        <button type="button" className="link-button" onClick={() => onApply(Object.fromEntries(fields.map((f) => [f.name, ''])))}>
          Clear filters
        </button>
      )}
    </form>
  );
}

export function FilterForm(props: { fields: readonly FilterField[]; values: Record<string, string>; onApply: (v: Record<string, string>) => void }) {
  return <Fields key={JSON.stringify(props.values)} {...props} />;
}
