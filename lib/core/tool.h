// What every gridutils binary shares: the common flags, the reading loop
// with --keep-going, and the one place errors become exit codes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

// Only the files that define flags include CLI11 (it is most of a
// translation unit's compile time); everything else sees the App by name.
namespace CLI {
class App;
class Validator;
}

namespace grid {

struct CommonOptions {
  bool quiet = false;
  std::string format;  // "json" or "table"; empty until resolved
  std::string key;     // --key FILE, else $GRID_KEY
  bool keep_going = false;
  std::optional<int> retries;  // --retries N: for every fetch the process makes
};

// A flag's number at least `lo` (above it when `strictly`), its range in
// words (`range`, e.g. "above 0"): CLI11's own ranges print the largest
// double, 300 digits. A finite decimal number only.
CLI::Validator number_check(double lo, const std::string& range, bool strictly = false);
// A flag whose empty value would read as the flag not given (--store ''
// as the default store): refused, saying `what` it needs.
CLI::Validator nonempty_check(const std::string& what);

class Tool {
 public:
  Tool(std::string name, const std::string& description);
  ~Tool();

  CLI::App& app() { return *app_; }
  CommonOptions& common() { return common_; }
  const std::string& name() const { return name_; }

  // Adds --format json|table. Without it, JSON unless stdout is a terminal.
  void add_format_flag(CLI::App& where);
  // Adds --key FILE. The key file is the flag's, else $GRID_KEY's: see
  // key_path().
  void add_key_flag(CLI::App& where);
  // --key when given, else $GRID_KEY, else "". (Read here rather than by
  // CLI11's envname: CLI11 2.1 fills the environment into the options of
  // subcommands that were not used, which share this one string.)
  std::string key_path() const;
  // Adds --keep-going.
  void add_keep_going_flag(CLI::App& where);
  // Adds --retries N (0 to 1000), which run() makes the process's default
  // for every fetch (set_default_fetch_retries) before the body runs;
  // `urls` names what the tool fetches, for --help.
  void add_retries_flag(CLI::App& where, const std::string& urls);

  bool table_format() const;

  // Reads messages from `inputs` (stdin when empty) and hands each to `fn`.
  // An Error from reading or from `fn` names the line; it ends the run, or
  // with --keep-going is reported and counted, and the run ends with 65.
  void each_message(const std::vector<std::string>& inputs,
                    const std::function<void(json& message, const Position& at)>& fn);
  // The same, unparsed: each non-blank line is at.text, free to move from.
  void each_line(const std::vector<std::string>& inputs, const std::function<void(Position& at)>& fn);

  // A bad input line (Error(Exit::data) naming it): thrown on, or with
  // --keep-going reported and counted, so that run() ends with 65.
  void skip_bad_line(const Error& e);

  // Reports an error the way doc/design.md, "Exit codes", says, on stderr.
  void report(const Error& e) const;
  // What run() makes of an exception: an Error as it is, a DeviceError
  // unavailable (69), a JSON exception bad data (65), anything else
  // internal (70).
  static Error error_of(const std::exception& e);
  // A human note on stderr unless --quiet.
  void note(const std::string& text) const;

  // Parses argv and runs `body`, turning every failure into its exit code.
  int run(int argc, char** argv, const std::function<int()>& body);

 private:
  std::string name_;
  std::unique_ptr<CLI::App> app_;
  CommonOptions common_;
  size_t bad_lines_ = 0;
};

}  // namespace grid
