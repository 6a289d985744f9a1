#include "jobs/job_split.h"

#include <optional>

#include "core/error.h"
#include "core/fields.h"
#include "core/keyfile.h"
#include "core/message.h"
#include "core/tool.h"

namespace grid {

std::vector<SplitOptions::Share> read_weights(Tool& tool, const std::string& path) {
  std::vector<SplitOptions::Share> shares;
  tool.each_message({path}, [&](json& m, const Position&) {
    check_envelope(m);
    if (m["kind"] != "profile") throw data_error("expected a profile message", ".kind");
    std::string signer;
    Status s = check_signature(m, &signer);
    if (!s.ok()) throw data_error("profile not trusted: " + s.reason(), ".sig");
    if (get_bool_opt(m, "faulty", "").value_or(false)) throw data_error("profile marks the machine faulty", ".faulty");
    const json* rate = nullptr;
    if (m.contains("summary") && m["summary"].contains("exact_gemm_tflops")) rate = &m["summary"]["exact_gemm_tflops"];
    if (!rate || !rate->is_number() || !(rate->get<double>() > 0))
      throw data_error("no positive exact GEMM rate", ".summary.exact_gemm_tflops");
    // Present only where gpu-bench found Blender: render jobs need it.
    double render_rate = 0;
    if (m["summary"].contains("render_samples_per_s") && m["summary"]["render_samples_per_s"].is_number())
      render_rate = m["summary"]["render_samples_per_s"].get<double>();
    shares.push_back({signer, m["id"].get<std::string>(), rate->get<double>(), render_rate});
  });
  if (shares.empty()) throw Error(Exit::data, "--weights " + path + " holds no profile");
  return shares;
}

void set_csv_delimiter(std::vector<json>& tasks, const std::string& delimiter) {
  for (json& t : tasks) {
    const std::string type = t["type"];
    if (!t[type].contains("data") || t[type]["data"].value("format", "") != "csv") continue;
    json& data = t[type]["data"];
    if (!data.contains("delimiter")) data["delimiter"] = delimiter;
    else if (data["delimiter"] != delimiter)
      throw data_error("the job's data names the delimiter " + data["delimiter"].dump() + ", --delimiter " +
                           json(delimiter).dump(),
                       "." + type + ".data.delimiter");
  }
}

int job_split_main(Tool& tool, const SplitCommand& cmd) {
  SplitOptions opt;
  opt.shard_rows = cmd.shard_rows;
  opt.tasks = cmd.tasks;
  if (!cmd.weights.empty()) opt.weights = read_weights(tool, cmd.weights);
  std::optional<SigningKey> key;
  if (!tool.key_path().empty()) key = load_key(tool.key_path());

  tool.each_message(cmd.inputs, [&](json& m, const Position& at) {
    if (cmd.pass && !(m.contains("kind") && m["kind"] == "job")) {
      write_stdout(at.text + "\n");
      return;
    }
    validate_job(m);
    // A job that carries an id or a signature must carry good ones: tasks
    // point at the job by id, and a buyer's signature is what binds it.
    if (m.contains("sig") || m.contains("id")) require_id_or_signature(m, "job");
    std::vector<json> tasks = split_job(m, opt);
    if (!cmd.delimiter.empty()) set_csv_delimiter(tasks, cmd.delimiter);
    for (json& t : tasks) {
      if (key) sign_message(t, *key);
      else set_message_id(t);
      write_message(t);
    }
  });
  return 0;
}

}  // namespace grid
