// grid-key: make Ed25519 keys; fill in and check message ids and signatures.
#include <CLI/CLI.hpp>

#include "core/tool.h"
#include "core/key_commands.h"

int main(int argc, char** argv) {
  grid::Tool tool("grid-key", "Make keys, and sign, verify or compute ids of gridutils messages");
  grid::KeyOptions opt;
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  CLI::App* gen = app.add_subcommand("gen", "Make a new key; print it, or write it to --out with mode 0600");
  gen->add_option("--out", opt.out, "Key file to write (mode 0600, atomically)")->type_name("FILE");
  gen->add_flag("--force", opt.force, "Replace an existing key file");

  CLI::App* pub = app.add_subcommand("pub", "Print the public key, ed25519:<hex>");
  tool.add_key_flag(*pub);

  CLI::App* sign = app.add_subcommand("sign", "Fill in id and sig of each message");
  CLI::App* id = app.add_subcommand("id", "Fill in the id of each message, without signing");
  CLI::App* verify = app.add_subcommand("verify", "Check each message's id and signature; exit 1 if any fails");
  tool.add_key_flag(*sign);
  verify->add_option("--by", opt.by, "Accept only signatures by this public key (ed25519:<hex>); repeatable")
      ->allow_extra_args(false);
  tool.add_format_flag(*verify);
  for (CLI::App* sub : {sign, id, verify}) {
    sub->add_option("files", opt.inputs, "Input files or URLs of JSON Lines (default: stdin)")->type_name("FILE");
    tool.add_keep_going_flag(*sub);
    tool.add_retries_flag(*sub, "inputs by URL");
  }

  return tool.run(argc, argv, [&] {
    if (*gen) return grid::key_gen(tool, opt);
    if (*pub) return grid::key_pub(tool, opt);
    if (*sign) return grid::key_sign(tool, opt);
    if (*id) return grid::key_id(tool, opt);
    return grid::key_verify(tool, opt);
  });
}
