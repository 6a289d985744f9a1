// lease-bid: orders, provider bids and the buyer's reverse auction.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "market/lease_award.h"
#include "market/lease_bid.h"

int main(int argc, char** argv) {
  grid::Tool tool("lease-bid", "Post orders for tasks, bid on them as a provider, award them as the buyer");
  grid::LeaseOptions opt;
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  CLI::App* order = app.add_subcommand("order", "Turn tasks (from job-split) into signed orders");
  order->add_option("--max-price", opt.max_price, "Most the buyer pays for the whole task, in micro-units")->required();
  order->add_option("--need", opt.need, "Requirement on the provider's profile, e.g. 'summary.gpu_count >= 1'");
  order->add_option("--deadline", opt.deadline, "When the work must be done: RFC 3339 time or a duration after now")
      ->required();
  order->add_option("--min-reputation", opt.min_reputation, "Lowest provider reputation score accepted (0 to 1)");
  order->add_option("--bid-deposit", opt.bid_deposit, "Micro-units a bidder must stake (refunded to losers)");

  CLI::App* bid = app.add_subcommand("bid", "Bid on orders as a provider (from cron)");
  bid->add_option("--profile", opt.profile, "The provider's own signed gpu-bench profile (file or URL)")
      ->type_name("FILE")
      ->required();
  auto* policy = bid->add_option("--policy", opt.policy, "Price policy JSON file (see examples/pricing/policy.json)")
                     ->type_name("FILE");
  auto* script = bid->add_option("--price-script", opt.price_script, "Command that reads an order's resources as JSON and prints a price")
                     ->type_name("FILE");
  policy->excludes(script);
  bid->add_option("--price-script-format", opt.price_script_format,
                  "What the script reads and prints: gridutils (default) or akash (Akash's resource groups, a price per block)")
      ->check(CLI::IsMember({"gridutils", "akash"}));
  bid->add_option("--akash-denom-price", opt.akash_denom_price, "akash: the order currency one unit of the script's denomination is worth")
      ->check(grid::number_check(0, "above 0", true));
  bid->add_option("--akash-denom", opt.akash_denom,
                  "akash: hand the script {resources, price} as newer Akash providers do, the order's price cap a block in this denomination (uakt)")
      ->type_name("DENOM")
      ->check(grid::nonempty_check("denomination"));
  bid->add_option("--akash-block-seconds", opt.akash_block_seconds, "akash: seconds a block lasts (default 6.117)")
      ->check(grid::number_check(0, "above 0", true));
  bid->add_option("--script-timeout", opt.script_timeout, "Kill a price script after this long: 30s, 2m, 1.5s, 500ms (default 10s)");
  bid->add_option("--script-jobs", opt.script_jobs, "Price scripts run at once (default 8)");
  bid->add_option("--max-leases", opt.max_leases, "Leases this machine holds at once; 0: no limit");
  bid->add_option("--leases", opt.leases, "Leases already awarded (counted against --max-leases while open)")
      ->type_name("FILE");
  bid->add_option("--expires", opt.expires, "How long bids stay valid: a duration or RFC 3339 time (default 1h)");
  bid->add_option("--margin", opt.margin,
                  "Bid only where the estimated run time times this still meets the deadline (default 1.5)")
      ->type_name("F");
  bid->add_flag("--explain", opt.explain, "Say on stderr why each skipped order got no bid");

  CLI::App* award = app.add_subcommand("award", "Award each order to its best valid bid; exit 1 if any is unfilled");
  award->add_option("--rule", opt.rule, "first-price (default) or second-price (Vickrey)")
      ->check(CLI::IsMember({"first-price", "second-price"}));
  award->add_option("--profiles", opt.profiles, "More gpu-bench profiles (files or URLs)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  award->add_option("--reputation-by", opt.reputation_by, "Trust reputation signed by this key (default: the --key's)")
      ->allow_extra_args(false);

  for (CLI::App* sub : {order, bid, award}) {
    sub->add_option("files", opt.inputs, "Input files or URLs of JSON Lines (default: stdin)")->type_name("FILE");
    sub->add_option("--now", opt.now, "The time to act at: RFC 3339 or epoch seconds (default: the clock)");
    sub->add_option("--publish", opt.publish, "Also PUT the output to this URL (WebDAV, s3://, file://)")
        ->type_name("URL");
    sub->add_flag("--pass", opt.pass, "Pass messages of kinds this subcommand does not take through untouched");
    tool.add_key_flag(*sub);
    tool.add_keep_going_flag(*sub);
    tool.add_retries_flag(*sub, "inputs and profiles by URL and --publish");
  }

  return tool.run(argc, argv, [&] {
    if (*order) return grid::lease_order_main(tool, opt);
    if (*bid) return grid::lease_bid_main(tool, opt);
    return grid::lease_award_main(tool, opt);
  });
}
