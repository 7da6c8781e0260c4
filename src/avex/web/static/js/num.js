// Exact decimal arithmetic on BigInt fractions {n, d} (d > 0), built from the decimal text of numbers,
// never from binary floating point. Used for money rounding (PROTOCOL §2.1) and the production formula
// (GAME §3), where 10.5 and 32.5 must round up and float arithmetic would not.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

const abs = (x) => (x < 0n ? -x : x);

function gcd(a, b) {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export function frac(n, d = 1n) {
  if (d === 0n) throw new RangeError("zero denominator");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

// A fraction from a decimal string or a JSON number (via its shortest decimal text). null if unparsable.
export function parseDecimal(value) {
  if (typeof value === "bigint") return frac(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    value = String(value);
  }
  if (typeof value !== "string") return null;
  const m = DECIMAL.exec(value.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const digits = (m[2] || "0") + (m[3] ?? "");
  let n = BigInt(digits);
  let d = 10n ** BigInt((m[3] ?? "").length);
  const exp = m[4] ? Number(m[4]) : 0;
  if (Math.abs(exp) > 400) return null;
  if (exp > 0) n *= 10n ** BigInt(exp);
  if (exp < 0) d *= 10n ** BigInt(-exp);
  if (m[1] === "-") n = -n;
  return frac(n, d);
}

export const add = (a, b) => frac(a.n * b.d + b.n * a.d, a.d * b.d);
export const mul = (a, b) => frac(a.n * b.n, a.d * b.d);

function floorDiv(n, d) {
  const q = n / d;
  return n % d !== 0n && (n < 0n) !== (d < 0n) ? q - 1n : q;
}

// Round half up (away from zero for the non-negative values this is used on) to an integer BigInt.
export function roundHalfUp(x) {
  return floorDiv(2n * x.n + x.d, 2n * x.d);
}

// Round half to even to an integer BigInt.
export function roundHalfEven(x) {
  const q = floorDiv(x.n, x.d);
  const r2 = 2n * (x.n - q * x.d); // twice the remainder, 0 <= r2 < 2d
  if (r2 > x.d) return q + 1n;
  if (r2 < x.d) return q;
  return q % 2n === 0n ? q : q + 1n;
}

// Money input as the server reads it: exact decimal of the literal, rounded half-even to the cent.
// Returns whole cents as a BigInt, or null when the text is not a number.
export function toCents(text) {
  const x = parseDecimal(text);
  if (x === null) return null;
  return roundHalfEven(mul(x, frac(100n)));
}

// Whole cents -> the JSON number to send (exact: at most two decimals).
export function centsToNumber(cents) {
  const neg = cents < 0n;
  const a = abs(cents);
  const s = `${neg ? "-" : ""}${a / 100n}.${String(a % 100n).padStart(2, "0")}`;
  return Number(s);
}

export function centsToText(cents) {
  const neg = cents < 0n;
  const a = abs(cents);
  return `${neg ? "-" : ""}${a / 100n}.${String(a % 100n).padStart(2, "0")}`;
}
