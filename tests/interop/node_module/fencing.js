// Leader fencing (docs/module-contract.md, 1.6): the newest orchestrator term this
// module has seen. It only rises; a Start or a directive with an older term comes from
// a deposed leader and is refused. A missing term counts as 0.
"use strict";

class LeaderTerm {
  constructor() {
    this.highest = 0;
  }

  /** True when `term` is not older than the newest seen (and then records it). */
  admits(term) {
    if (term < this.highest) return false;
    this.highest = term;
    return true;
  }
}

// A UInt64 as node-opcua hands it over: [high, low] 32-bit words (or a plain number).
function uint64ToNumber(value) {
  if (Array.isArray(value) && value.length === 2) return value[0] * 2 ** 32 + value[1];
  return typeof value === "number" ? value : NaN;
}

module.exports = { LeaderTerm, uint64ToNumber };
