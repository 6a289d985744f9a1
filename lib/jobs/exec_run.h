// Running an exec task (exec_spec.h) in the sandbox (sandbox.h): its image
// and inputs from the store, the deterministic environment, its outputs
// hashed into the store, and the result's exec part. job-run runs tasks
// with it, proof-check's rerun and compare re-run them with it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "jobs/sandbox.h"

namespace grid {

class Store;

// What the machine running the task allows.
struct ExecHost {
  bool allow_network = false;  // job-run --allow-network: jobs that ask get the network
  bool cuda = false;           // job-run --device cuda: the NVIDIA devices bound in
  int cuda_index = 0;          // CUDA_VISIBLE_DEVICES inside
};

// A fresh folder under the store's tmp/ (the store's file system, so
// inputs are hard links to its objects), removed with all it holds when
// the value goes.
class ExecFolder {
 public:
  explicit ExecFolder(Store& store);
  ~ExecFolder();
  ExecFolder(const ExecFolder&) = delete;
  ExecFolder& operator=(const ExecFolder&) = delete;
  // A new empty folder `name` in it.
  std::string sub(const std::string& name) const;

 private:
  std::string dir_;
};

// Files of the store (path under `dir` -> key) laid out under `dir`, read
// from the store (fetched from their "url" first when a spec names one).
void place_files(Store& store, const std::vector<std::pair<std::string, Digest>>& files, const std::string& dir);

// The sandbox a task of this exec spec runs in: its root (the image,
// unpacked into the store), the deterministic environment with the spec's
// own, its inputs at /in (fetched into the store and laid out under
// `work`), its limits, network and devices as `host` allows. Exit::unavailable
// when the spec asks for the network and the host does not allow it.
SandboxSpec exec_sandbox(const json& task, Store& store, const ExecHost& host, const ExecFolder& work);

// Runs an exec task (validated) and returns the kind's part of its result,
// its "inputs" included: status, reason, exit code, the outputs (each
// stored in the store) and their root, stdout's and stderr's SHA-256, and
// run_sha256 over what it commits to.
json exec_execute(const json& task, Store& store, const ExecHost& host);

// run_sha256 of a result's exec part: SHA-256 of the canonical JSON of its
// status, reason, exit_code, signal, output_root, stdout_sha256 and
// stderr_sha256. What quorum compares and a seal commits to.
std::string exec_run_sha256(const json& part);

// The outputs of a result part as the sandbox lists them; Exit::data at
// `field` when an entry is malformed.
std::vector<OutputEntry> exec_outputs(const json& list, const std::string& field);

}  // namespace grid
