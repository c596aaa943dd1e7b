/** ROC AUC, the one implementation the metrics and their intervals share. */
/** Area under the ROC curve by the rank statistic (ties count half). */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number {
  // A NaN never equals itself: the tie scan below would never advance.
  const bad = scores.findIndex((x) => Number.isNaN(x));
  if (bad >= 0) throw new Error(`rocAuc: score ${bad} is NaN`);
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  if (pos.length === 0 || neg.length === 0) return NaN;
  const all = scores.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}
