#include "core/completion.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <sstream>
#include <vector>

#include "core/text_pad.h"

namespace grid {
namespace {

// What the value of a flag, or an argument, may be.
struct Value {
  std::string type;                // the type name without validators: FILE, DIR, N|env...
  std::vector<std::string> words;  // choices, when known
  char delimiter = '\0';           // several values joined by this, e.g. ','
};

struct Flag {
  std::vector<std::string> names;  // "-q", "--quiet"
  std::string help;
  bool takes_value = false;
  bool repeats = false;  // may be given more than once, each time with values
  Value value;
};

struct Command {
  std::string path;  // "lease-bid order"
  std::vector<Flag> flags;
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, help
  bool has_args = false;
  Value args;
};

std::vector<std::string> split(const std::string& text, char at) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string piece; std::getline(in, piece, at);) out.push_back(piece);
  return out;
}

bool lower_case_word(const std::string& s) {
  for (char c : s)
    if (std::isupper(static_cast<unsigned char>(c)) || std::isspace(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

// CLI11 shows an option's type as "TYPE:VALIDATOR:...", where an IsMember
// validator reads "{a,b,c}".
Value value_of(const CLI::Option& opt) {
  Value v;
  std::vector<std::string> parts = split(opt.get_type_name(), ':');
  v.type = parts.empty() ? "" : parts[0];
  v.delimiter = opt.get_delimiter();
  for (size_t i = 1; i < parts.size(); ++i)
    if (parts[i].size() >= 2 && parts[i].front() == '{' && parts[i].back() == '}')
      for (const std::string& w : split(parts[i].substr(1, parts[i].size() - 2), ',')) v.words.push_back(w);
  if (v.words.empty() && v.type.find('|') != std::string::npos)
    for (const std::string& w : split(v.type, '|'))
      if (lower_case_word(w)) v.words.push_back(w);
  return v;
}

// Walks `app` and its subcommands, parents first. A subcommand that falls
// through also takes its parent's flags.
void walk(const CLI::App& app, const std::string& path, const std::vector<Flag>& inherited,
          std::vector<Command>* out) {
  Command c;
  c.path = path;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;
    if (!opt->nonpositional()) {
      if (!c.has_args) c.args = value_of(*opt);
      c.has_args = true;
      continue;
    }
    Flag f;
    for (const std::string& s : opt->get_snames()) f.names.push_back("-" + s);
    for (const std::string& l : opt->get_lnames()) f.names.push_back("--" + l);
    f.help = opt->get_description();
    f.takes_value = opt->get_items_expected_max() > 0;
    f.repeats = opt->get_expected_max() > 1;
    if (f.takes_value) f.value = value_of(*opt);
    c.flags.push_back(f);
  }
  for (const Flag& f : inherited) {
    bool shadowed = false;
    for (const Flag& own : c.flags)
      for (const std::string& n : own.names)
        for (const std::string& m : f.names) shadowed = shadowed || n == m;
    if (!shadowed) c.flags.push_back(f);
  }
  std::vector<const CLI::App*> subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* sub : subs) c.subcommands.emplace_back(sub->get_name(), sub->get_description());
  out->push_back(c);
  const std::vector<Flag> flags = c.flags;
  for (const CLI::App* sub : subs)
    walk(*sub, path + " " + sub->get_name(), sub->get_fallthrough() ? flags : std::vector<Flag>{}, out);
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string fish_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "'";
}

std::string identifier(const std::string& path) {
  std::string out;
  for (char c : path) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// Prints the CUDA devices nvidia-smi lists (cuda:0 when it lists none);
// the same pipeline works in bash, zsh and fish.
const std::string kGpuWords =
    R"sh(sh -c 'nvidia-smi -L 2>/dev/null' | awk '/^GPU /{print "cuda:" n++} END{if(!n) print "cuda:0"}')sh";

// How each shell completes the values of the type names the tools use.
struct TypeAction {
  std::string type;
  std::string bash_setup, bash_words;  // compopt options; a command printing the candidates
  std::string zsh;                     // an _arguments action
  std::string fish;                    // complete's options
};

const std::vector<TypeAction>& type_actions() {
  static const std::vector<TypeAction> table = {
      {"FILE", "compopt -o filenames 2>/dev/null; ", "compgen -f -- \"$cur\"", "_files", "-r -F"},
      {"DIR", "compopt -o filenames 2>/dev/null; ", "compgen -d -- \"$cur\"", "_directories",
       "-x -a '(__fish_complete_directories)'"},
      {"URL", "compopt -o nospace 2>/dev/null; ", "compgen -W 'http:// https:// s3:// file://' -- \"$cur\"", "_urls",
       "-x -a 'http:// https:// s3:// file://'"},
      {"DEVICE", "", "compgen -W \"auto cpu cuda $(" + kGpuWords + ")\" -- \"$cur\"",
       "_gridutils_devices", "-x -a " + fish_quote("auto cpu cuda (" + kGpuWords + ")")},
  };
  return table;
}

const TypeAction* type_action(const Value& v) {
  for (const TypeAction& a : type_actions())
    if (a.type == v.type) return &a;
  return nullptr;
}

// A word for any of the three shells' code, quoted only where it needs to be.
std::string plain_or(const std::string& s, std::string (*quote)(const std::string&)) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("_.,:/+-").find(c) == std::string::npos)
      return quote(s);
  return s.empty() ? quote(s) : s;
}

std::string sh_word(const std::string& s) { return plain_or(s, sh_quote); }

std::vector<std::string> sh_words(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const std::string& w : words) out.push_back(sh_word(w));
  return out;
}

std::vector<std::string> fish_words(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const std::string& w : words) out.push_back(plain_or(w, fish_quote));
  return out;
}

// ---- bash: one function; the words before the cursor pick the subcommand,
// the word before it may be a flag that takes a value.

struct BashAction {
  std::string setup, words;  // words empty: offer nothing
};

BashAction bash_action(const Value& v) {
  // compgen expands the words of -W once more.
  const std::string list = sh_quote(join(sh_words(v.words), " "));
  if (!v.words.empty() && v.delimiter) {
    const std::string last = "\"${cur##*" + sh_quote(std::string(1, v.delimiter)) + "}\"";
    return {"", "compgen -P \"${cur%" + last + "}\" -W " + list + " -- " + last};
  }
  if (!v.words.empty()) return {"", "compgen -W " + list + " -- \"$cur\""};
  if (const TypeAction* a = type_action(v)) return {a->bash_setup, a->bash_words};
  return {};
}

void bash_script(const std::vector<Command>& commands, std::ostream& out) {
  const std::string& tool = commands.front().path;
  const std::string fn = "_" + identifier(tool);
  out << "# bash completion for " << tool << ", written by '" << tool << " --completion bash'\n"
      << fn << "() {\n"
      << "    local cur prev cmd=" << sh_quote(tool) << " i w words=() line=${COMP_LINE:0:COMP_POINT}\n"
      << "    # bash breaks words at the ':' of COMP_WORDBREAKS (cuda:0, http://): join\n"
      << "    # them again where the line has no space between.\n"
      << "    for ((i = 0; i <= COMP_CWORD; i++)); do\n"
      << "        w=${COMP_WORDS[i]}\n"
      << "        if ((i > 0)) && [[ $line != [[:space:]]* && ($w == :* || ${words[-1]} == *:) ]]; then\n"
      << "            words[-1]+=$w\n"
      << "        else\n"
      << "            words+=(\"$w\")\n"
      << "        fi\n"
      << "        line=${line#\"${line%%[![:space:]]*}\"}\n"
      << "        line=${line#\"$w\"}\n"
      << "    done\n"
      << "    cur=${words[-1]} prev=\n"
      << "    ((${#words[@]} > 1)) && prev=${words[-2]}\n"
      << "    # --flag=value: bash splits the word at the '='.\n"
      << "    [[ $prev == = && ${#words[@]} -gt 2 ]] && prev=${words[-3]}\n"
      << "    COMPREPLY=()\n"
      << "    " << fn << "_reply\n"
      << "    # readline replaces only the text after the last ':', so offer the rest.\n"
      << "    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then\n"
      << "        w=${cur%\"${cur##*:}\"}\n"
      << "        COMPREPLY=(\"${COMPREPLY[@]#\"$w\"}\")\n"
      << "    fi\n"
      << "}\n"
      << "# Reads cur, prev, cmd and words from " << fn << ".\n"
      << fn << "_reply() {\n"
      << "    for ((i = 1; i < ${#words[@]} - 1; i++)); do\n"
      << "        case \"$cmd ${words[i]}\" in\n";
  for (size_t i = 1; i < commands.size(); ++i)
    out << "            " << sh_quote(commands[i].path) << ") cmd=" << sh_quote(commands[i].path) << " ;;\n";
  out << "        esac\n    done\n    case \"$cmd $prev\" in\n";
  std::vector<std::string> no_hint;  // flags whose values nothing can guess
  for (const Command& c : commands)
    for (const Flag& f : c.flags) {
      if (!f.takes_value) continue;
      std::vector<std::string> patterns;
      for (const std::string& n : f.names) patterns.push_back(sh_quote(c.path + " " + n));
      const BashAction a = bash_action(f.value);
      if (a.words.empty()) {
        no_hint.insert(no_hint.end(), patterns.begin(), patterns.end());
        continue;
      }
      out << "        " << join(patterns, " | ") << ")\n            " << a.setup << "mapfile -t COMPREPLY < <("
          << a.words << ")\n            return ;;\n";
    }
  if (!no_hint.empty()) out << "        " << join(no_hint, " | \\\n        ") << ")\n            return ;;\n";
  out << "    esac\n    case $cmd/$cur in\n";
  for (const Command& c : commands) {
    std::vector<std::string> flags;
    for (const Flag& f : c.flags) flags.insert(flags.end(), f.names.begin(), f.names.end());
    out << "        " << sh_quote(c.path) << "/-*) mapfile -t COMPREPLY < <(compgen -W " << sh_quote(join(flags, " "))
        << " -- \"$cur\") ;;\n";
    std::vector<std::string> subs;
    for (const auto& s : c.subcommands) subs.push_back(s.first);
    const BashAction a = c.has_args ? bash_action(c.args) : BashAction{};
    std::string words = subs.empty() ? "" : "compgen -W " + sh_quote(join(subs, " ")) + " -- \"$cur\"";
    if (!a.words.empty()) words += (words.empty() ? "" : "; ") + a.words;
    if (!words.empty())
      out << "        " << sh_quote(c.path) << "/*) " << a.setup << "mapfile -t COMPREPLY < <(" << words << ") ;;\n";
  }
  out << "    esac\n}\ncomplete -F " << fn << " " << tool << "\n";
}

// ---- zsh: a function per command, each one _arguments call; a command
// with subcommands hands the words after the subcommand to its function.

std::string zsh_action(const Value& v) {
  if (!v.words.empty() && v.delimiter)
    return "_values -s " + sh_word(std::string(1, v.delimiter)) + " " + sh_word(v.type) + " " +
           join(sh_words(v.words), " ");
  if (!v.words.empty()) return "(" + join(sh_words(v.words), " ") + ")";
  if (const TypeAction* a = type_action(v)) return a->zsh;
  return "";
}

// Text inside _arguments' [...] and after its ':'.
std::string zsh_text(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '[' || c == ']' || c == ':' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out;
}

void zsh_script(const std::vector<Command>& commands, std::ostream& out) {
  const std::string& tool = commands.front().path;
  out << "#compdef " << tool << "\n# zsh completion for " << tool << ", written by '" << tool
      << " --completion zsh'\n\n"
      << "# In a function: _arguments would split the pipeline at its colons.\n"
      << "_gridutils_devices() {\n    compadd \"$@\" -- auto cpu cuda $(" << kGpuWords << ")\n}\n";
  for (const Command& c : commands) {
    const std::string fn = "_" + identifier(c.path);
    out << "\n" << fn << "() {\n    local curcontext=$curcontext state line\n    local -A opt_args\n    _arguments -s -C";
    for (const Flag& f : c.flags)
      for (const std::string& n : f.names) {
        std::string spec = std::string(f.repeats ? "*" : "") + n;
        spec += (f.takes_value ? "=[" : "[") + zsh_text(f.help) + "]";
        if (f.takes_value) spec += ":" + zsh_text(f.value.type) + ":" + zsh_action(f.value);
        out << " \\\n        " << sh_quote(spec);
      }
    if (!c.subcommands.empty()) out << " \\\n        ': :->command' \\\n        '*:: :->args'";
    else if (c.has_args) out << " \\\n        " << sh_quote("*:" + zsh_text(c.args.type) + ":" + zsh_action(c.args));
    out << "\n";
    if (!c.subcommands.empty()) {
      out << "    case $state in\n        command)\n            local -a subcommands=(";
      for (const auto& s : c.subcommands) out << "\n                " << sh_quote(zsh_text(s.first) + ":" + s.second);
      out << "\n            )\n            _describe -t commands subcommand subcommands ;;\n"
          << "        args)\n            case $words[1] in\n";
      for (const auto& s : c.subcommands)
        out << "                " << sh_quote(s.first) << ") " << fn << "_" << identifier(s.first) << " ;;\n";
      out << "            esac ;;\n    esac\n";
    }
    out << "}\n";
  }
  out << "\n_" << identifier(tool) << " \"$@\"\n";
}

// ---- fish: one `complete` line per flag and subcommand, each under the
// condition that the words so far name its command.

std::string fish_action(const Value& v) {
  if (!v.words.empty() && v.delimiter)
    return "-x -a " + fish_quote("(__fish_complete_list " + fish_quote(std::string(1, v.delimiter)) + " " +
                                 fish_quote("printf '%s\\n' " + join(fish_words(v.words), " ")) + ")");
  // complete expands the words of -a once more.
  if (!v.words.empty()) return "-x -a " + fish_quote(join(fish_words(v.words), " "));
  if (const TypeAction* a = type_action(v)) return a->fish;
  return "-x";
}

void fish_script(const std::vector<Command>& commands, std::ostream& out) {
  const std::string& tool = commands.front().path;
  const std::string at = "__" + identifier(tool) + "_at";
  out << "# fish completion for " << tool << ", written by '" << tool << " --completion fish'\n\n"
      << "# " << at << " COMMAND: the words so far name this (sub)command.\n"
      << "function " << at << "\n    set -l cmd " << fish_quote(tool) << "\n"
      << "    for w in (commandline -opc)\n        switch \"$cmd $w\"\n";
  for (size_t i = 1; i < commands.size(); ++i)
    out << "            case " << fish_quote(commands[i].path) << "\n                set cmd \"$cmd $w\"\n";
  out << "        end\n    end\n    test \"$cmd\" = \"$argv[1]\"\nend\n";
  for (const Command& c : commands) {
    const std::string head = "complete -c " + fish_quote(tool) + " -n " + fish_quote(at + " " + fish_quote(c.path));
    out << "\n";
    if (!c.has_args || c.args.type != "FILE") out << head << " -f\n";
    for (const auto& s : c.subcommands)
      out << head << " -a " << fish_quote(s.first) << " -d " << fish_quote(s.second) << "\n";
    for (const Flag& f : c.flags) {
      out << head;
      for (const std::string& n : f.names) out << (n.size() == 2 ? " -s " : " -l ") << fish_quote(n.substr(n.size() == 2 ? 1 : 2));
      if (f.takes_value) out << " " << fish_action(f.value);
      out << " -d " << fish_quote(f.help) << "\n";
    }
  }
}

}  // namespace

std::string completion_script(const CLI::App& app, const std::string& shell) {
  std::vector<Command> commands;
  walk(app, app.get_name(), {}, &commands);
  std::ostringstream out;
  if (shell == "bash") bash_script(commands, out);
  else if (shell == "zsh") zsh_script(commands, out);
  else if (shell == "fish") fish_script(commands, out);
  return out.str();
}

}  // namespace grid
