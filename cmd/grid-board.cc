// grid-board: the market's signed messages on a WebDAV server, an S3
// bucket or a local folder: post them, get the new ones checked, watch.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "market/board.h"

int main(int argc, char** argv) {
  grid::Tool tool("grid-board", "Post and get signed market messages on a WebDAV, S3 or file:// board");
  grid::BoardOptions opt;
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  CLI::App* post = app.add_subcommand("post", "Post each message to the board at a name made of its kind and id");
  CLI::App* get = app.add_subcommand("get", "Write the board's new messages of one kind, each one checked");
  CLI::App* watch = app.add_subcommand("watch", "Get over and over, polling less often while nothing comes");
  for (CLI::App* sub : {post, get, watch}) {
    sub->add_option("url", opt.url, "file:///DIR, http(s)://HOST/PATH/ (WebDAV) or s3://BUCKET/PREFIX")
        ->required()
        ->type_name("URL");
    sub->add_option("--max-bytes", opt.max_bytes, "Largest message file posted or read (default 4 MiB)")
        ->type_name("BYTES")
        ->check(grid::number_check(1, "at least 1 byte"));
    tool.add_retries_flag(*sub, "the board's URL and inputs by URL");
  }
  post->add_option("files", opt.inputs, "JSON Lines files or URLs; - is stdin (default: stdin)")->type_name("FILE");
  tool.add_keep_going_flag(*post);
  for (CLI::App* sub : {get, watch}) {
    sub->add_option("kind", opt.kind, "orders, bids, leases, results, verdicts or profiles")
        ->required()
        ->type_name("KIND");
    sub->add_option("--for", opt.for_key, "leases of, or profiles signed by, this key")->type_name("KEY");
    sub->add_option("--order", opt.order, "bids on this order")->type_name("ID");
    sub->add_option("--task", opt.task, "results of this task")->type_name("ID");
    sub->add_option("--result", opt.result, "verdicts on this result")->type_name("ID");
    sub->add_option("--since", opt.since, "Only what is new since this cursor (printed by the last run)")
        ->check(grid::nonempty_check("cursor"))
        ->type_name("CURSOR");
    sub->add_option("--cursor-file", opt.cursor_file,
                    "Start from the cursor in FILE when it exists; write the next one there")
        ->type_name("FILE");
  }
  watch->add_option("--interval", opt.interval_s, "Seconds between polls, doubled while idle up to 16x (default 10)")
      ->type_name("SECONDS")
      ->check(grid::number_check(0.1, "at least 0.1 s: a watch asks a server"));
  watch->add_option("--max-polls", opt.max_polls, "Stop after N polls (default 0: never)")
      ->type_name("N")
      ->check(grid::number_check(0, "0 (no end) or more"));

  return tool.run(argc, argv, [&] {
    if (*post) return grid::board_post(tool, opt);
    if (*get) return grid::board_get(tool, opt);
    return grid::board_watch(tool, opt);
  });
}
