/** A form's number field: empty means "not given"; anything else must be a finite number ≥ 0. */
export type NumberField = { readonly ok: true; readonly value: number | null } | { readonly ok: false; readonly error: string };

export const readNumberField = (label: string, raw: string): NumberField => {
  const text = raw.trim();
  if (text === "") return { ok: true, value: null };
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) return { ok: false, error: `${label}: enter a number of 0 or more` };
  return { ok: true, value };
};
