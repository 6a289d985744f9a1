// grid-store: the content store from the command line: get objects out
// (predictions as CSV), put files in, list, verify, collect garbage.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "jobs/store_commands.h"

int main(int argc, char** argv) {
  grid::Tool tool("grid-store", "Get, put, list, verify and garbage-collect the objects of a gridutils store");
  grid::StoreOptions opt;
  CLI::App& app = tool.app();
  app.require_subcommand(1);
  app.add_option("--store", opt.store, "Content store folder (default $XDG_DATA_HOME/gridutils/store)")
      ->type_name("DIR")
      ->check(grid::nonempty_check("folder"));

  CLI::App* get = app.add_subcommand("get", "Write an object's bytes, checked against its SHA-256");
  get->add_option("sha256", opt.object, "sha256:<hex>, <hex>, or a unique prefix of 4 or more hex digits")
      ->required()
      ->type_name("SHA256");
  get->add_option("--as", opt.as, "npy: check the object is a .npy matrix; csv: write that matrix as CSV")
      ->check(CLI::IsMember({"npy", "csv"}));
  get->add_option("--out", opt.out, "Write to this file (atomically) instead of stdout")->type_name("FILE");

  CLI::App* put = app.add_subcommand("put", "Store files; print each one's SHA-256");
  put->add_option("files", opt.inputs, "Files or URLs to store; - is stdin (default: stdin)")->type_name("FILE");
  tool.add_retries_flag(*put, "files by URL");

  CLI::App* ls = app.add_subcommand("ls", "List every object: SHA-256, bytes, time written");
  CLI::App* verify = app.add_subcommand("verify", "Re-hash every object; exit 1 if any is corrupt");
  for (CLI::App* sub : {ls, verify}) tool.add_format_flag(*sub);

  CLI::App* gc = app.add_subcommand("gc", "Remove the objects that the roots do not name, directly or through others");
  gc->add_option("roots", opt.inputs, "JSON Lines files or URLs (results, tasks, ...), - for stdin, or sha256:<hex>")
      ->type_name("ROOT");
  gc->add_flag("--dry-run", opt.dry_run, "List what would be removed; remove nothing");
  gc->add_option("--grace", opt.grace, "Keep what was written this recently, for runs still writing (default 1h; 0: none)")
      ->type_name("DURATION");
  tool.add_retries_flag(*gc, "roots by URL");

  return tool.run(argc, argv, [&] {
    if (*get) return grid::store_get(tool, opt);
    if (*put) return grid::store_put(tool, opt);
    if (*ls) return grid::store_ls(tool, opt);
    if (*verify) return grid::store_verify(tool, opt);
    return grid::store_gc(tool, opt);
  });
}
