#include "ledger/ledger_commands.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "core/keyfile.h"
#include "ledger/ledger_query.h"
#include "ledger/ledger_transfers.h"
#include "core/message.h"
#include "core/text_pad.h"
#include "core/timestamp.h"
#include "core/tool.h"
#include "core/parallel_for.h"

namespace grid {
namespace {

// Most threads apply spends checking signatures; past this they wait on
// the single writer.
constexpr unsigned kMaxCheckThreads = 8;
constexpr size_t kNonceBytes = 16;

SigningKey key_from_flags(const Tool& tool) {
  const std::string path = tool.key_path();
  if (path.empty()) throw Error(Exit::usage, "no key: give --key FILE or set GRID_KEY");
  return load_key(path);
}

Database open_ledger(const SettleOptions& opt) { return Database::open(ledger_path(opt), opt.busy_timeout_ms); }

// --account: a participant's key, or with `system_ok` one of the ledger's
// own accounts (balance, statement); deposits go to participants only.
std::string account_flag(const std::string& value, bool system_ok) {
  if (value.rfind("system:", 0) == 0) {
    if (system_ok && (value == kDepositsAccount || value == kFeesAccount)) return value;
    throw Error(Exit::usage, "--account " + value + ": " +
                                 (system_ok ? std::string("the system accounts are ") + kDepositsAccount + " and " +
                                                  kFeesAccount
                                            : std::string("deposits go to a participant's ed25519: key")));
  }
  if (std::optional<std::string> key = key_ref_from_text(value)) return *key;
  throw Error(Exit::usage, "--account " + value + ": expected ed25519:<64 hex digits>" +
                               (system_ok ? " or a system: account" : ""));
}

std::string nonce() {
  SigningKey k = generate_signing_key();  // libsodium's random source, already linked
  return hex(k.seed.data(), kNonceBytes);
}

// A signed deposit or stake message for the ledger.
json funds_message(const Database& db, const std::string& type, const std::string& side, const std::string& account,
                   int64_t amount, int64_t now) {
  return {{"kind", "transfer"}, {"v", kMessageVersion}, {"type", type},
          {"ledger", db.info().id}, {"currency", db.info().currency}, {side, account},
          {"amount_micros", amount}, {"created", format_rfc3339(now)}, {"nonce", nonce()}};
}

}  // namespace

std::string ledger_path(const SettleOptions& opt) {
  if (!opt.ledger.empty()) return opt.ledger;
  const char* env = std::getenv("GRID_LEDGER");
  if (env && *env) return env;
  throw Error(Exit::usage, "no ledger: give --ledger FILE or set GRID_LEDGER");
}

int settle_init(Tool& tool, const SettleOptions& opt) {
  const SigningKey key = key_from_flags(tool);
  for (char c : opt.currency)
    if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
      throw Error(Exit::usage, "--currency " + opt.currency + ": expected upper-case letters and digits (USD, EUR)");
  LedgerInfo info;
  info.currency = opt.currency;
  info.operator_key = public_key_ref(key.public_key);
  json ledger = {{"kind", "ledger"}, {"v", kMessageVersion}, {"currency", info.currency},
                 {"operator", info.operator_key}, {"created", format_rfc3339(resolve_now(opt.now))}, {"nonce", nonce()}};
  sign_message(ledger, key);
  info.id = ledger["id"];
  Database::create(ledger_path(opt), ledger.dump(), info);
  write_message(ledger);
  return 0;
}

int settle_deposit(Tool& tool, const SettleOptions& opt) {
  const SigningKey key = key_from_flags(tool);
  Database db = open_ledger(opt);
  if (public_key_ref(key.public_key) != db.info().operator_key)
    throw Error(Exit::usage, "deposits are signed by the ledger's operator " + db.info().operator_key +
                                 "; --key holds " + public_key_ref(key.public_key));
  json m = funds_message(db, "deposit", "credit", account_flag(opt.account, false), opt.amount, resolve_now(opt.now));
  sign_message(m, key);
  write_message(m);
  return 0;
}

int settle_stake(Tool& tool, const SettleOptions& opt) {
  const SigningKey key = key_from_flags(tool);
  Database db = open_ledger(opt);
  json m = funds_message(db, "stake", "debit", public_key_ref(key.public_key), opt.amount, resolve_now(opt.now));
  sign_message(m, key);
  write_message(m);
  return 0;
}

int settle_apply(Tool& tool, const SettleOptions& opt) {
  if (opt.trust.empty()) throw Error(Exit::usage, "apply needs --trust FILE: the verifiers whose verdicts move money");
  // NaN passes every range check and would slash nothing: a typo in a cron
  // line must not waive the slashes the ledger then holds to.
  if (!(opt.slash_multiple >= 0 && opt.slash_multiple <= 1000))
    throw Error(Exit::usage, "--slash-multiple must be a number from 0 to 1000");
  std::set<std::string> trust = load_trust(opt.trust);
  Database db = open_ledger(opt);
  SettleTerms terms;
  terms.now = resolve_now(opt.now);
  terms.slash_multiple = opt.slash_multiple;
  terms.verifier_fee_bp = opt.verifier_fee_bp;
  terms.fee_bp = opt.fee_bp;
  if (opt.verifier_fee_bp + opt.fee_bp > 10000)
    throw Error(Exit::usage, "--verifier-fee-bp and --fee-bp together exceed 10000 (the whole price)");
  const unsigned threads =
      opt.threads ? opt.threads : std::min(static_cast<int>(kMaxCheckThreads), hardware_threads());
  LedgerApplier applier(db, std::move(trust), terms, opt.batch, threads);
  std::map<Outcome, size_t> counts;
  applier.on_report = [&](const ApplyReport& r) {
    ++counts[r.outcome];
    write_message({{"source", r.at.source}, {"line", r.at.line}, {"id", r.id}, {"input", r.kind},
                   {"outcome", outcome_name(r.outcome)}});
  };
  if (tool.common().keep_going) applier.on_refused = [&](const Error& e) { tool.report(e); };
  applier.on_bad_line = [&](const Error& e) { tool.skip_bad_line(e); };
  if (opt.pass) {
    // What settlement does not consume travels on, as doc/design.md, "The
    // flow", asks of every tool (a pipeline's results, profiles, bids), as
    // soon as it is read: that needs its kind, so the line is parsed here.
    tool.each_message(opt.inputs, [&](json& m, const Position& at) {
      if (m.contains("kind") && m["kind"].is_string()) {
        const std::string& kind = m["kind"].get_ref<const std::string&>();
        if (kind != "lease" && kind != "verdict" && kind != "transfer") return write_stdout(at.text + "\n");
      }
      applier.add(std::move(m), at);
    });
  } else {
    tool.each_line(opt.inputs,
                   [&](Position& at) { applier.add_text(Position{at.source, at.line, std::move(at.text)}); });
  }
  applier.finish();
  std::string summary = "applied " + std::to_string(applier.transfers()) + " transfer(s)";
  for (const auto& [o, n] : counts) summary += ", " + std::to_string(n) + " " + outcome_name(o);
  if (applier.expired()) summary += ", " + std::to_string(applier.expired()) + " hold(s) expired";
  tool.note(summary);
  if (applier.refused() > 0)
    throw Error(Exit::data, std::to_string(applier.refused()) + " input message(s) refused and skipped");
  return 0;
}

int settle_balance(Tool& tool, const SettleOptions& opt) {
  Database db = open_ledger(opt);
  const std::string account = opt.account.empty() ? "" : account_flag(opt.account, true);
  std::vector<AccountBalance> rows = ledger_balances(db, account);
  if (tool.table_format()) {
    // Each column as wide as its widest entry and two spaces: a balance
    // of 18 digits (sums of deposits reach it) must not run into the next.
    size_t available = 18, held = 18;
    for (const AccountBalance& r : rows) {
      available = std::max(available, std::to_string(r.balances.available).size() + 2);
      held = std::max(held, std::to_string(r.balances.held).size() + 2);
    }
    std::string text = pad_right("account", 74) + pad_right("available", available) + pad_right("held", held) +
                       "stake (micro-" + db.info().currency + ")\n";
    for (const AccountBalance& r : rows)
      text += pad_right(r.account, 74) + pad_right(std::to_string(r.balances.available), available) +
              pad_right(std::to_string(r.balances.held), held) + std::to_string(r.balances.stake) + "\n";
    write_stdout(text);
    return 0;
  }
  for (const AccountBalance& r : rows)
    write_message({{"account", r.account},
                   {"available_micros", r.balances.available},
                   {"held_micros", r.balances.held},
                   {"stake_micros", r.balances.stake},
                   {"currency", db.info().currency}});
  return 0;
}

int settle_statement(Tool&, const SettleOptions& opt) {
  Database db = open_ledger(opt);
  const std::string account = account_flag(opt.account, true);
  const int64_t since = opt.since.empty() ? INT64_MIN : resolve_since(opt.since, now_seconds(), "--since");
  const bool csv = opt.statement_format == "csv";
  if (csv) write_stdout("seq,at,transfer,type,debit,debit_bucket,credit,credit_bucket,amount_micros,currency,cause,hold\n");
  ledger_statement(db, account, since, [&](int64_t seq, const Transfer& t) {
    if (!csv) return write_message(transfer_message(db.info(), seq, t));
    // Every field is an id, a key or a number: nothing to quote.
    write_stdout(std::to_string(seq) + "," + format_rfc3339(t.at) + "," + t.id + "," + t.type + "," + t.debit + "," +
                 bucket_name(t.debit_bucket) + "," + t.credit + "," + bucket_name(t.credit_bucket) + "," +
                 std::to_string(t.amount) + "," + db.info().currency + "," + t.cause + "," + t.hold + "\n");
  });
  return 0;
}

int settle_reputation(Tool& tool, const SettleOptions& opt) {
  const SigningKey key = key_from_flags(tool);
  Database db = open_ledger(opt);
  if (public_key_ref(key.public_key) != db.info().operator_key)
    throw Error(Exit::usage, "reputation is signed by the ledger's operator " + db.info().operator_key +
                                 "; --key holds " + public_key_ref(key.public_key));
  const int64_t now = resolve_now(opt.now);
  for (const ProviderRecord& r : ledger_records(db)) {
    json m = reputation_message(db.info(), r, now);
    sign_message(m, key);
    write_message(m);
  }
  return 0;
}

int settle_check(Tool& tool, const SettleOptions& opt) {
  Database db = open_ledger(opt);
  Digest parsed;
  for (const std::string& h : opt.heads)
    if (!parse_sha256_ref(h, &parsed)) throw Error(Exit::usage, "--head " + h + ": expected sha256:<64 hex digits>, as check prints it");
  int64_t transfers = 0;
  std::string head;
  std::vector<std::string> bad = ledger_check(db, &transfers, &head, opt.heads);
  for (const std::string& v : bad) std::cerr << tool.name() << ": violation: " << one_line(v) << std::endl;
  write_message({{"kind", "check"}, {"ok", bad.empty()}, {"transfers", transfers}, {"head", head},
                 {"violations", bad}, {"ledger", db.info().id}});
  return bad.empty() ? 0 : static_cast<int>(Exit::negative);
}

}  // namespace grid
