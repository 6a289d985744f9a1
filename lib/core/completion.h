// Shell completion scripts written from a tool's own CLI11 definition, so
// that they cannot fall behind its flags.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace grid {

// The bash, zsh or fish script ("bash", "zsh", "fish") that completes
// `app`'s subcommands, their flags and the flags' values; "" for another
// shell. A value completes from the flag's
// CLI::IsMember choices, else the lower-case alternatives of a type name
// such as "N|env", else by the type name FILE, DIR, URL or DEVICE.
// Hidden options (group "") are left out.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace grid
