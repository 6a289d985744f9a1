// pay-settle: a durable double-entry ledger on SQLite that pays verified
// work, refunds, slashes and publishes reputation.
#include <CLI/CLI.hpp>

#include "core/fields.h"
#include "core/tool.h"
#include "ledger/ledger_commands.h"

int main(int argc, char** argv) {
  grid::Tool tool("pay-settle", "Settle leases and verdicts in a durable double-entry ledger");
  grid::SettleOptions opt;
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  CLI::App* init = app.add_subcommand("init", "Create a ledger for one currency, run by the --key's owner");
  CLI::App* deposit = app.add_subcommand("deposit", "Write a deposit message signed by the operator");
  CLI::App* stake = app.add_subcommand("stake", "Write a stake message: the --key's owner locks collateral");
  CLI::App* apply = app.add_subcommand("apply", "Apply leases, verdicts, deposits and stakes to the ledger");
  CLI::App* balance = app.add_subcommand("balance", "Print account balances");
  CLI::App* statement = app.add_subcommand("statement", "Print the transfers of one account");
  CLI::App* reputation = app.add_subcommand("reputation", "Print one signed reputation message per provider");
  CLI::App* check = app.add_subcommand("check", "Check the ledger's consistency; exit 1 on any violation");

  for (CLI::App* sub : {init, deposit, stake, apply, balance, statement, reputation, check})
    sub->add_option("--ledger", opt.ledger, "Ledger file (default $GRID_LEDGER)")->type_name("FILE");
  for (CLI::App* sub : {init, deposit, stake, reputation}) tool.add_key_flag(*sub);
  for (CLI::App* sub : {init, deposit, stake, apply, reputation})
    sub->add_option("--now", opt.now, "The time to use instead of the clock (RFC 3339 or epoch seconds)");
  init->add_option("--currency", opt.currency, "Currency of every amount, in micro-units (USD, EUR...)")
      ->required()
      ->check(grid::nonempty_check("currency"));
  deposit->add_option("--account", opt.account, "Account credited (ed25519:<hex>)")->required();
  for (CLI::App* sub : {deposit, stake})
    sub->add_option("--amount", opt.amount, "Amount in micro-units")
        ->required()
        ->check(CLI::Validator(
            [](std::string& v) {
              return v.empty() || v.find_first_not_of("0123456789") != std::string::npos
                         ? v + " is not a whole number of micro-units"
                         : std::string();
            },
            "", "micro-units"))
        ->check(CLI::Range(int64_t{1}, grid::kMaxMicros));

  apply->add_option("files", opt.inputs, "Input files or URLs of JSON Lines (default: stdin)")->type_name("FILE");
  apply->add_flag("--pass", opt.pass, "Pass messages that are not leases, verdicts or transfers through untouched");
  apply->add_option("--trust", opt.trust, "File of trusted verifier keys, one ed25519:<hex> a line")
      ->type_name("FILE")
      ->required();
  apply->add_option("--batch", opt.batch, "Messages per transaction")->check(CLI::Range(size_t{1}, size_t{1} << 20));
  apply->add_option("--busy-timeout", opt.busy_timeout_ms, "Milliseconds to wait for another run's lock; then exit 75")
      ->check(CLI::Range(0, 3600 * 1000));
  apply->add_option("--threads", opt.threads, "Threads parsing and checking the input (default: cores, up to 8)")
      ->check(CLI::Range(1u, 256u));
  apply->add_option("--slash-multiple", opt.slash_multiple, "A rejected provider's stake loses this times the price")
      ->check(CLI::Range(0.0, 1000.0));
  apply->add_option("--verifier-fee-bp", opt.verifier_fee_bp, "Verifier's fee on an accepted price, in 1/10000")
      ->check(CLI::Range(int64_t{0}, int64_t{10000}));
  apply->add_option("--fee-bp", opt.fee_bp, "Operator's fee on an accepted price, in 1/10000, to system:fees")
      ->check(CLI::Range(int64_t{0}, int64_t{10000}));
  tool.add_keep_going_flag(*apply);
  tool.add_retries_flag(*apply, "inputs by URL");

  balance->add_option("--account", opt.account, "Only this account");
  tool.add_format_flag(*balance);
  statement->add_option("--account", opt.account, "The account (ed25519:<hex> or system:...)")->required();
  statement->add_option("--since", opt.since, "Only transfers applied at or after this time");
  statement->add_option("--format", opt.statement_format, "Output form: json (default) or csv")
      ->check(CLI::IsMember({"json", "csv"}));
  check->add_option("--head", opt.heads, "A head recorded from an earlier check: exit 1 unless the chain still holds it")
      ->allow_extra_args(false);

  return tool.run(argc, argv, [&] {
    if (*init) return grid::settle_init(tool, opt);
    if (*deposit) return grid::settle_deposit(tool, opt);
    if (*stake) return grid::settle_stake(tool, opt);
    if (*apply) return grid::settle_apply(tool, opt);
    if (*balance) return grid::settle_balance(tool, opt);
    if (*statement) return grid::settle_statement(tool, opt);
    if (*reputation) return grid::settle_reputation(tool, opt);
    return grid::settle_check(tool, opt);
  });
}
