/** Dollars with the cents and, for the small sums a few calls cost, up to six decimals. */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(6).replace(/0{1,4}$/, '')}`;
}
