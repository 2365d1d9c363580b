/**
 * The order in which a round of an interleaved bench runs its variants. A plain rotation (`(j + r) % n`) keeps the
 * cyclic order fixed, so each variant always runs right after the same one and inherits its leftovers (garbage
 * to collect, a half-warm cache) in every round. A balanced Latin square (Williams design) has every variant run
 * right after every other one equally often:
 *
 * ```
 *  n = 4:  round 0: 0 1 3 2    round 1: 1 2 0 3    round 2: 2 3 1 0    round 3: 3 0 2 1
 *          every ordered pair (a then b) occurs once in the 4 rounds; odd n needs 2n rounds (each row reversed)
 * ```
 */

/** The variant indexes (0..n-1) of round `round`, in the order to run them; the pattern repeats with the rounds. */
export function balancedRoundOrder(round: number, n: number): number[] {
  // First row: 0, 1, n-1, 2, n-2, ...; row r adds r (mod n). For odd n the rows n..2n-1 are rows 0..n-1 reversed.
  const row = round % (n % 2 === 0 ? n : 2 * n);
  const shift = row % n;
  const order = Array.from({ length: n }, (_, j) => {
    const base = j % 2 === 1 ? (j + 1) / 2 : j === 0 ? 0 : n - j / 2;
    return (base + shift) % n;
  });
  return row < n ? order : order.reverse();
}
