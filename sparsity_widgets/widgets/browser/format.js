// Python's format(x, "g") in JavaScript, for the messages the browser models write: the Python
// twins write theirs with f"{x:g}", and the parity tests compare the messages character by
// character. Listed first in a widget's module (registry.Twin.esm_files).

export function formatG(x) {
  if (typeof x !== "number") return JSON.stringify(x) ?? String(x);
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa, exp] = x.toExponential(5).split("e");
    const m = mantissa.replace(/\.?0+$/, "");
    const e = Number(exp);
    return `${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(Number(x.toPrecision(6)));
}
