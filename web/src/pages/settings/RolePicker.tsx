/** A set of roles chosen from the roles closeloop knows: a labelled group of checkboxes. */
import { useId } from 'react';

export function RolePicker({ legend, known, chosen, onChange }: { legend: string; known: readonly string[]; chosen: readonly string[]; onChange: (roles: string[]) => void }) {
  const id = useId();
  return (
    <fieldset className="role-picker">
      <legend>{legend}</legend>
      <div className="role-options">
        {known.map((r) => (
          <label key={r} htmlFor={`${id}-${r}`} className="check">
            <input
              id={`${id}-${r}`}
              type="checkbox"
              checked={chosen.includes(r)}
              onChange={(e) => onChange(e.target.checked ? [...chosen, r] : chosen.filter((c) => c !== r))}
            />
            {r}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
