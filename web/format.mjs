// format.mjs — how the app writes a number the run measured: integers in
// full, others with 4 significant digits, very small or large ones in
// exponent form. Shared with the browser test, which checks that each
// metric on the page reads as the run's JSON says.
export function formatValue(v) {
  if (typeof v !== "number") return v === null || v === undefined ? "–" : String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}
