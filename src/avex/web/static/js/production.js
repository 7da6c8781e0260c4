// The production formula of GAME.md §3, computed exactly:
//   units = Σ_{L=0..maxDepth} round_half_up((baseEnergy + levelEnergy·L) · decay^L · branches^L)
//   basic maximum = units; premium maximum = round_half_up(units × premiumBonus) (1.3)
import { add, frac, mul, parseDecimal, roundHalfUp } from "./num.js";

function exact(value, name) {
  const x = parseDecimal(value);
  if (x === null) throw new RangeError(`role.${name} is not a number: ${value}`);
  return x;
}

export function productionUnits(role) {
  const base = exact(role.baseEnergy, "baseEnergy");
  const level = exact(role.levelEnergy, "levelEnergy");
  const decay = exact(role.decay, "decay");
  const branches = exact(role.branches, "branches");
  const depth = Number(role.maxDepth);
  const step = mul(decay, branches);
  let factor = frac(1n);
  let units = 0n;
  for (let L = 0; L <= depth; L++) {
    const energy = add(base, mul(level, frac(BigInt(L))));
    units += roundHalfUp(mul(energy, factor));
    factor = mul(factor, step);
  }
  return Number(units);
}

// Maximum quantity of one PRODUCTION_UPDATE for a recipe {type, premiumBonus} (GAME §3.3).
export function maxBatch(role, recipe) {
  const units = productionUnits(role);
  if (!recipe || recipe.type !== "PREMIUM") return units;
  const bonus = parseDecimal(recipe.premiumBonus ?? "1.3") ?? parseDecimal("1.3");
  return Number(roundHalfUp(mul(frac(BigInt(units)), bonus)));
}
