#include "proof/proof_kinds.h"

namespace grid {

const std::vector<ProofKind>& proof_kinds() {
  static const std::vector<ProofKind> table = {
      {"gemm", check_gemm_part, {{"trace", check_trace_gemm}, {"spot", check_rows_gemm}, {"rows", check_rows_gemm},
                                 {"freivalds", check_freivalds_gemm}}},
      {"train", check_train_part, {{"trace", check_trace_train}, {"spot", check_spot_train},
                                   {"pinpoint", check_pinpoint}}},
      {"infer", check_infer_part, {{"trace", check_trace_infer}, {"spot", check_spot_infer}}},
      {"render", check_render_part, {{"trace", check_trace_render}, {"spot", check_crop_render},
                                     {"crop", check_crop_render}}},
      {"exec", check_exec_part, {{"trace", check_trace_exec}, {"rerun", check_rerun_exec},
                                 {"compare", check_compare_exec}}},
  };
  return table;
}

const ProofKind* find_proof_kind(const std::string& name) {
  for (const ProofKind& k : proof_kinds())
    if (name == k.name) return &k;
  return nullptr;
}

}  // namespace grid
