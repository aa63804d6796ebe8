/** Same keys with the same values (Object.is); what a memoised component compares its props with. */
export const shallowEqual = (a: object, b: object): boolean => {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb: Record<string, unknown> = { ...b };
  const ra: Record<string, unknown> = { ...a };
  return ka.every((k) => Object.hasOwn(rb, k) && Object.is(ra[k], rb[k]));
};
