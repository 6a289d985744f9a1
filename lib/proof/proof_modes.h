// proof-check's modes (doc/design.md, "Proof of work") as rows of one table: each row
// names the check it runs on each kind of message it applies to. A check
// gets the message under test and everything the flags supplied, and says
// pass, fail (with the reason in words) or inconclusive, what it checked,
// and the detection probability it reached.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "compute/device.h"
#include "core/jsonl.h"
#include "proof/proof_sampling.h"
#include "core/status.h"

namespace grid {

class Store;

// The modes run when --mode is not given.
constexpr const char* kDefaultModes = "sig,trace,spot";
// --detect when no sample size is given: 99%.
constexpr double kDefaultDetect = 0.99;
// --cheat-fraction: the share of faked work a detection probability is
// computed against; 10% is a cheat worth catching.
constexpr double kDefaultCheatFraction = 0.1;
// --k: a quorum is two independent providers that agree.
constexpr int kDefaultQuorum = 2;
// --slow-factor: a challenge answered below half the profile's exact GEMM
// rate is not the claimed machine (real runs vary by far less).
constexpr double kDefaultSlowFactor = 0.5;
// Freivalds rounds: each misses a wrong row with probability <= 1/2.
constexpr int kFreivaldsRounds = 16;

struct ProofOptions {
  std::vector<std::string> inputs;
  std::vector<std::string> modes;  // empty: kDefaultModes
  std::vector<std::string> tasks, leases, profiles, challenges;
  std::vector<std::string> seals;  // --seals: seal messages committed before results were revealed
  std::string store;      // --store DIR; "" = the default store
  std::string store_url;  // --store-url URL: the provider's store over HTTP
  int64_t samples = 0;    // --samples q; 0 = from --detect
  double detect = kDefaultDetect;
  double cheat_fraction = kDefaultCheatFraction;
  double budget = 1;      // --budget B: 1, all of a task's compute, is no cap
  int quorum = kDefaultQuorum;
  double slow_factor = kDefaultSlowFactor;
  std::string device = "auto";
  int threads = 0;
  bool pass = false;
  std::string now;        // --now: when the check starts, for lease deadlines ("" = the clock)
};

// What the flags' files hold, keyed by what a check looks up.
struct ProofInputs {
  std::map<std::string, json> tasks;                   // by task id (--tasks, and tasks in leases)
  std::vector<json> leases;                            // --leases
  std::map<std::string, int64_t> lease_deadlines;      // by lease id, of the leases that have one
  std::map<std::string, std::vector<json>> profiles;   // by signer (--profile), signatures checked
  std::map<std::string, json> challenges;              // requests by id (--challenges)
  std::set<std::string> seals;                         // "signer task seal" of each --seals message
};

// One message under check: a result or a challenge answer.
struct CheckEntry {
  json message;
  Position at;
  std::string type;     // the result's type, or "challenge" for an answer
  std::string task_id;  // the result's task, or the answer's request
  std::string signer;   // the verified signer; "" when unsigned or badly signed
  std::string sig_problem;  // why there is no verified signer
};

struct ModeReport {
  enum class Outcome { pass, fail, inconclusive };
  Outcome outcome = Outcome::pass;
  std::string reason;
  json checked = json::object();
  std::optional<double> detection;
  bool task_missing = false;  // inconclusive for want of the task (--tasks, --leases)

  static ModeReport pass(json checked, std::optional<double> detection = std::nullopt);
  static ModeReport fail(std::string why, json checked = json::object());
  static ModeReport inconclusive(std::string why, json checked = json::object());
};

struct CheckContext {
  const ProofOptions* opt = nullptr;
  const ProofInputs* in = nullptr;
  const SigningKey* key = nullptr;
  Device device;
  const Store* store = nullptr;
  const CheckEntry* entry = nullptr;
  const json* task = nullptr;  // the entry's task; nullptr when not given
  Draw draw;                   // the public draw for this entry
  std::vector<const CheckEntry*> group;  // entries of the same task, this one included
  const std::vector<CheckEntry>* entries = nullptr;  // every entry of the run (a sample over a job's tasks)
  // What a check worked out once for several entries (a task's rerun),
  // keyed by the check; lives for the whole run.
  std::map<std::string, json>* memo = nullptr;

  const json& message() const { return entry->message; }
};

using ModeFn = ModeReport (*)(CheckContext&);

struct ProofMode {
  const char* name;
  const char* what;
  // The check for results of every job kind alike (nullptr: each kind's
  // own, from its row in proof_kinds.h), for challenge answers, and for
  // results of a type that is no job kind; nullptr where the mode does
  // not apply.
  ModeFn every_kind, challenge, other;
};

// The table, in the order modes run within one verdict.
const std::vector<ProofMode>& proof_modes();
// nullptr for an unknown name.
const ProofMode* find_proof_mode(const std::string& name);
// The modes' names, in the table's order: --mode's choices.
std::vector<std::string> proof_mode_names();
// The check `mode` runs on a message of `type` (a result's type, or
// "challenge" for an answer); nullptr where it does not apply.
ModeFn mode_check_for(const ProofMode& mode, const std::string& type);

// The checks behind the rows.
ModeReport check_sig(CheckContext& c);
ModeReport check_trace_train(CheckContext& c);
ModeReport check_trace_gemm(CheckContext& c);
ModeReport check_trace_infer(CheckContext& c);
ModeReport check_spot_train(CheckContext& c);
ModeReport check_spot_infer(CheckContext& c);
ModeReport check_rows_gemm(CheckContext& c);
ModeReport check_freivalds_gemm(CheckContext& c);
ModeReport check_trace_render(CheckContext& c);
ModeReport check_crop_render(CheckContext& c);
ModeReport check_quorum(CheckContext& c);
ModeReport check_pinpoint(CheckContext& c);
ModeReport check_challenge(CheckContext& c);
ModeReport check_trace_exec(CheckContext& c);
ModeReport check_rerun_exec(CheckContext& c);
ModeReport check_compare_exec(CheckContext& c);

// ---- shared by the checks ------------------------------------------------

// How many of `units` equal pieces to re-execute: --samples, else the
// smallest q reaching --detect against --cheat-fraction; then capped at
// `affordable` (at least 1) when --budget is below 1, and at `units`.
int64_t sample_count(const ProofOptions& opt, int64_t units, int64_t affordable);
// The --cheat-fraction detection probability of q out of `units`.
double sample_detection(const ProofOptions& opt, int64_t units, int64_t q);

// Inconclusive for want of the entry's task, which `use` says what for
// ("spot re-executes it").
ModeReport task_not_given(const CheckContext& c, const std::string& use, json checked = json::object());

// An object of the provider's store: from --store, else from --store-url.
// `state` says which: found (bytes set), absent, or corrupt (the bytes do
// not hash to `key`; `problem` says how).
struct Fetched {
  enum class State { found, absent, corrupt } state = State::absent;
  std::string bytes;
  std::string problem;
};
Fetched fetch_object(const CheckContext& c, const Digest& key);

// Hex digests and sha256:<hex> refs of a message whose shape was checked.
std::vector<Digest> hex_digests(const json& list);
Digest ref_digest(const json& ref);

// Leaf hashes SHA-256(0x00 || d) of 32-byte digests.
std::vector<Digest> leaf_hashes_of(const std::vector<Digest>& digests);

// Verifies RFC 6962 inclusion proofs of the leaves at `indices` against
// `root` (audit paths made from `leaf_hashes`). Fails naming the first
// index whose proof does not verify.
Status check_inclusion(const std::vector<Digest>& leaf_hashes, const std::vector<int64_t>& indices,
                       const Digest& root);

// A JSON array of indices.
json index_list(const std::vector<int64_t>& v);

}  // namespace grid
