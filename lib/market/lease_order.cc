#include "market/lease_order.h"

#include <algorithm>

#include "core/error.h"
#include "core/fields.h"
#include "core/keyfile.h"
#include "market/lease_io.h"
#include "measure/profile_schema.h"
#include "core/message.h"
#include "core/text_pad.h"
#include "core/timestamp.h"
#include "core/tool.h"
#include "jobs/job_spec.h"

namespace grid {

void read_order(const json& m, Order* out) {
  check_envelope(m);
  if (m["kind"] != "order") throw data_error("expected an order message", ".kind");
  out->msg = &m;
  out->id = require_string(m, "id");
  out->buyer = require_string(m, "buyer");
  const json& task = get_object(m, "task", "");
  out->task_id = require_string(task, "id", ".task");
  out->type = task.contains("type") ? get_string(task, "type", ".task") : std::string();
  out->flops = get_number(m, "flops", "", 0, 1e30);
  out->max_price = get_int(m, "max_price_micros", "", 1, kMaxMicros);
  out->bid_deposit = get_int_opt(m, "bid_deposit_micros", "", 0, kMaxMicros).value_or(0);
  out->min_reputation = get_number_opt(m, "min_reputation", "", 0, 1).value_or(0);
  out->deadline = get_time(m, "deadline", "");
  out->created = m.contains("created") ? get_time(m, "created", "") : 0;
  out->need = parse_need_or_throw(m.contains("need") ? get_string(m, "need", "") : "", static_cast<int>(Exit::data),
                                  "need");
}

json make_order(const json& task, const LeaseOptions& opt, const NeedExpr& need, int64_t now, int64_t deadline,
                const SigningKey& key) {
  json o = {{"kind", "order"},
            {"v", kMessageVersion},
            {"buyer", public_key_ref(key.public_key)},
            {"task", task},
            {"flops", whole_number(get_number(task, "flops", "", 0, 1e30))},
            {"max_price_micros", opt.max_price},
            {"deadline", format_rfc3339(deadline)},
            {"bid_deposit_micros", opt.bid_deposit},
            {"created", format_rfc3339(now)}};
  if (!need.empty()) o["need"] = need.text();
  if (opt.min_reputation > 0) o["min_reputation"] = opt.min_reputation;
  sign_message(o, key);
  return o;
}

namespace {

// The first `n` steps of a path, as written: "kinds.exact", "gpus[0]".
std::string path_prefix(const std::vector<json>& steps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += steps[i].is_string() ? (i ? "." : "") + steps[i].get<std::string>() : "[" + steps[i].dump() + "]";
  return out;
}

// A path no profile has makes the need false for every provider: the
// order is still made (profiles may grow members), but the buyer hears of
// it now rather than from an unfilled order.
void warn_unknown_need_paths(const Tool& tool, const NeedExpr& need) {
  for (const NeedPath& p : need.paths()) {
    const SchemaMatch m = match_profile_path(p.steps);
    if (m.whole) continue;
    const std::string where = m.known == 0 ? "a profile" : "a profile's " + path_prefix(p.steps, m.known);
    std::string why;
    if (m.there.empty())
      why = where + " is a value, with no members";
    else if (m.there == std::vector<std::string>{"#"})
      why = where + " is a list: name an element by its index, as " + path_prefix(p.steps, m.known) + "[0]";
    else
      why = where + " has no member " + p.steps[m.known].dump() + " (it has " + join(m.there) + ")";
    tool.note("warning: --need names " + p.text + ", but " + why);
  }
}

}  // namespace

int lease_order_main(Tool& tool, const LeaseOptions& opt) {
  // The bounds read_order() holds orders to: an order this run cannot
  // read back is the flag's fault, not the input's.
  if (opt.max_price <= 0 || opt.max_price > kMaxMicros)
    throw Error(Exit::usage, "--max-price must be a positive number of micro-units, at most 2^53 - 1 (" +
                                 std::to_string(kMaxMicros) + ")");
  if (opt.bid_deposit < 0 || opt.bid_deposit > kMaxMicros)
    throw Error(Exit::usage, "--bid-deposit must not be negative nor above 2^53 - 1 (" + std::to_string(kMaxMicros) + ")");
  if (!(opt.min_reputation >= 0 && opt.min_reputation <= 1))
    throw Error(Exit::usage, "--min-reputation must be between 0 and 1");
  const NeedExpr need = parse_need_or_throw(opt.need, static_cast<int>(Exit::usage), "--need");
  warn_unknown_need_paths(tool, need);
  const int64_t now = resolve_now(opt.now);
  const int64_t deadline = resolve_time(opt.deadline, now, "--deadline");
  if (deadline <= now) throw Error(Exit::usage, "--deadline " + opt.deadline + " is not after --now");
  if (tool.key_path().empty()) throw Error(Exit::usage, "orders are signed: give --key or set GRID_KEY");
  const SigningKey key = load_key(tool.key_path());

  LeaseOutput out(opt.publish);
  tool.each_message(opt.inputs, [&](json& m, const Position& at) {
    check_envelope(m);
    if (m["kind"] != "task") {
      if (opt.pass) return out.write_line(at.text + "\n");
      throw data_error("expected a task message (from job-split)", ".kind");
    }
    // The order binds the buyer to this exact task: its id must be honest.
    require_id_or_signature(m, "task");
    // What job-run would refuse, or a provider could not fetch, is no
    // order: the buyer hears of it now, not from an unfilled order.
    validate_task(m, "", RunsOn::elsewhere);
    out.write(make_order(m, opt, need, now, deadline, key));
  });
  out.finish();
  return 0;
}

}  // namespace grid
