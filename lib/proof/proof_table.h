// proof-check --format table: the verdicts as a human table, one header
// line and one row per verdict, written as each verdict is made.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "proof/proof_modes.h"

namespace grid {

class VerdictTable {
 public:
  // `modes` are the modes asked for: a verdict runs some of them, so their
  // list is the widest its modes column can be, and rows stream aligned.
  explicit VerdictTable(const std::vector<const ProofMode*>& modes);

  // "result  provider  task  status  modes  detect  seconds  reason\n"
  std::string header() const;
  // One verdict (as make_verdict writes it, signed or not): the ids and the
  // provider's key cut to the first 16 hex digits after their prefix, the
  // task's request for a challenge answer, "-" for what is null, the reason
  // last and whole. No trailing spaces.
  std::string row(const json& verdict) const;

 private:
  size_t modes_width_;
};

}  // namespace grid
