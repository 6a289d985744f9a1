#include "core/tool.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <new>

#include "core/completion.h"
#include "core/net.h"
#include "core/text_pad.h"
#include "core/device_error.h"

namespace grid {
namespace {

// CLI11 reports a misspelt subcommand ("grid-key sing") as a missing one;
// name the word it did not know, and the subcommands it would have known.
std::string parse_error_text(CLI::App& app, const CLI::ParseError& e) {
  if (app.get_require_subcommand_min() == 0 || !app.get_subcommands().empty()) return e.what();
  // The words CLI11 could not place; one right after an unknown flag may
  // be that flag's value.
  const std::vector<std::string> left = app.remaining();
  std::string word;
  for (size_t i = 0; i < left.size() && word.empty(); ++i)
    if (left[i].rfind('-', 0) != 0 &&
        (i == 0 || left[i - 1].rfind('-', 0) != 0 || left[i - 1].find('=') != std::string::npos))
      word = left[i];
  if (word.empty()) return e.what();
  std::vector<std::string> known;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) known.push_back(sub->get_name());
  return "unknown subcommand '" + word + "' (one of: " + join(known) + ")";
}

}  // namespace

Tool::Tool(std::string name, const std::string& description) : name_(std::move(name)), app_(std::make_unique<CLI::App>(description, name_)) {
  app_->set_version_flag("--version", std::string("gridutils ") + GRID_VERSION);
  app_->add_flag("-q,--quiet", common_.quiet, "Print nothing for humans on stderr, errors excepted");
  // Subcommands see the parent's flags wherever they appear on the line.
  app_->fallthrough();
  // Hidden; `make` writes the completion scripts with it. Like --version it
  // acts while parsing, before required flags and subcommands are checked.
  app_->add_option_function<std::string>(
          "--completion",
          [this](const std::string& shell) {
            const std::string script = completion_script(*app_, shell);
            // Not an IsMember check: CLI11 leaves a hidden option's name out of its errors.
            if (script.empty()) throw CLI::ValidationError("--completion", shell + " is not bash, zsh or fish");
            std::cout << script << std::flush;
            throw CLI::Success();
          },
          "Print a bash, zsh or fish completion script")
      ->group("");
}

Tool::~Tool() = default;

void Tool::add_format_flag(CLI::App& where) {
  where.add_option("--format", common_.format, "Output form: json (default when stdout is not a terminal) or table")
      ->check(CLI::IsMember({"json", "table"}));
}

void Tool::add_key_flag(CLI::App& where) {
  where.add_option("--key", common_.key, "Ed25519 key file made by grid-key gen (default $GRID_KEY)")
      ->type_name("FILE");
}

std::string Tool::key_path() const {
  if (!common_.key.empty()) return common_.key;
  const char* env = std::getenv("GRID_KEY");
  return env ? env : "";
}

void Tool::add_keep_going_flag(CLI::App& where) {
  where.add_flag("--keep-going", common_.keep_going, "Report each bad input line and carry on; exit 65 at the end");
}

void Tool::add_retries_flag(CLI::App& where, const std::string& urls) {
  where.add_option("--retries", common_.retries,
                   "Transient failures in a row before giving up with 75, for " + urls + " (default 4)")
      ->type_name("N")
      ->check(CLI::Range(0, 1000));
}

CLI::Validator number_check(double lo, const std::string& range, bool strictly) {
  return CLI::Validator(
      [lo, range, strictly](std::string& text) {
        char* end = nullptr;
        errno = 0;
        const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v) ||
            text.find_first_of("xXpPnN") != std::string::npos)
          return text + " is not a number";
        if (strictly ? !(v > lo) : !(v >= lo)) return text + " is out of range: " + range;
        return std::string();
      },
      range, "number");
}

CLI::Validator nonempty_check(const std::string& what) {
  return CLI::Validator([what](std::string& text) { return text.empty() ? "an empty value is no " + what : std::string(); },
                        "", what);
}

bool Tool::table_format() const {
  if (common_.format.empty()) return ::isatty(1);
  return common_.format == "table";
}

void Tool::report(const Error& e) const { std::cerr << name_ << ": error: " << one_line(e.describe()) << std::endl; }

void Tool::note(const std::string& text) const {
  if (!common_.quiet) std::cerr << name_ << ": " << one_line(text) << std::endl;
}

void Tool::each_message(const std::vector<std::string>& inputs,
                        const std::function<void(json&, const Position&)>& fn) {
  each_line(inputs, [&](Position& at) {
    json message = parse_json_line(at.text);
    fn(message, at);
  });
}

void Tool::each_line(const std::vector<std::string>& inputs, const std::function<void(Position&)>& fn) {
  MessageReader reader(inputs);
  for (;;) {
    try {
      if (!reader.next_text()) break;
      fn(reader.position());
    } catch (Error& e) {
      if (e.code() != Exit::data) throw;
      skip_bad_line(e.at_line(reader.position().line, reader.position().source));
    }
  }
}

void Tool::skip_bad_line(const Error& e) {
  if (!common_.keep_going) throw e;
  report(e);
  ++bad_lines_;
}

int Tool::run(int argc, char** argv, const std::function<int()>& body) {
  // A closed stdout must surface as EPIPE from write(2), not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app_->exit(e);
    std::cerr << name_ << ": error: " << one_line(parse_error_text(*app_, e)) << " (see " << name_ << " --help)"
              << std::endl;
    return static_cast<int>(Exit::usage);
  }
  if (common_.retries) set_default_fetch_retries(*common_.retries);
  try {
    int code = body();
    if (bad_lines_ > 0) {
      report(Error(Exit::data, std::to_string(bad_lines_) + " bad input line(s) skipped"));
      return static_cast<int>(Exit::data);
    }
    return code;
  } catch (const BrokenPipe&) {
    return 0;
  } catch (const std::exception& e) {
    const Error err = error_of(e);
    report(err);
    return static_cast<int>(err.code());
  }
}

Error Tool::error_of(const std::exception& e) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) return *err;
  if (dynamic_cast<const DeviceError*>(&e)) return Error(Exit::unavailable, e.what());
  // Our own code checks fields first; a JSON exception that escapes means
  // the input had a shape we did not check for, so blame the data.
  if (dynamic_cast<const json::exception*>(&e)) return Error(Exit::data, e.what());
  if (dynamic_cast<const std::bad_alloc*>(&e)) return Error(Exit::internal, "out of memory");
  return Error(Exit::internal, std::string("internal error: ") + e.what() + " (please report it)");
}

}  // namespace grid
