// What crosses from the poll worker to the main thread must survive structured clone unchanged. Structured clone
// throws on functions and symbols, and silently turns class instances into plain objects (their methods and
// getters are lost) while keeping Maps, Sets and Dates — which JSON output (`status --json`) would then lose.
// So snapshots hold plain objects, arrays and primitives only; this says where one does not.

/** Paths of values that are not plain data (empty when the value is plain). */
export function plainDataProblems(value: unknown, at = '$', ancestors = new Set<object>()): string[] {
  if (value === null) return [];
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined': // an optional field left unset: both clone and JSON treat it as absent
      return [];
    case 'number':
      return Number.isFinite(value) ? [] : [`${at}: ${value} (JSON turns it into null)`];
    case 'object':
      break;
    default:
      return [`${at}: a ${typeof value}`];
  }
  const obj = value as object;
  // Shared references clone fine (a server's cgroup is also the system's); cycles would break JSON output.
  if (ancestors.has(obj)) return [`${at}: a circular reference`];
  const proto = Object.getPrototypeOf(obj);
  if (!Array.isArray(obj) && proto !== Object.prototype && proto !== null) {
    return [`${at}: an instance of ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'a class'}`];
  }
  ancestors.add(obj);
  const problems = Array.isArray(obj)
    ? obj.flatMap((v, i) => plainDataProblems(v, `${at}[${i}]`, ancestors))
    : Object.entries(obj).flatMap(([k, v]) => plainDataProblems(v, `${at}.${k}`, ancestors));
  ancestors.delete(obj);
  return problems;
}
