// The completion scripts quote what the definition holds: descriptions and
// choices with quotes, $(...), brackets and spaces are text, never code.
// tests/completion.bats drives the shells with the real tools' scripts.
#include <CLI/CLI.hpp>

#include "core/completion.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "temp_dir.h"

namespace {

class Completion : public grid::TempDirTest {
 protected:
  // A definition with everything that needs quoting; the $(touch ...) would
  // leave a file behind if any shell ran it.
  void SetUp() override {
    TempDirTest::SetUp();
    const std::string trap = "$(touch " + dir_ + "/ran) `touch " + dir_ + "/ran`";
    app_.add_option("--say", text_, "it's \"odd\" [x]: \\ " + trap)->type_name("FILE");
    app_.add_option("--pick", text_, "a choice " + trap)->check(CLI::IsMember({"x'y", "plain", "$HOME"}));
    app_.add_option("--secret", text_, "hidden")->group("");
    CLI::App* sub = app_.add_subcommand("sub", "a subcommand; it's " + trap);
    sub->add_flag("--deep", flag_, "only after sub");
  }

  // Runs `command` in a shell; its stdout.
  std::string run(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
    return out;
  }

  std::string write(const std::string& shell) {
    const std::string path = dir_ + "/demo." + shell;
    std::ofstream(path) << grid::completion_script(app_, shell);
    return path;
  }

  bool ran() const { return ::access((dir_ + "/ran").c_str(), F_OK) == 0; }

  CLI::App app_{"demo tool", "demo"};
  std::string text_;
  bool flag_ = false;
};

TEST_F(Completion, EachShellGetsAScriptWithoutHiddenOptions) {
  for (const char* shell : {"bash", "zsh", "fish"}) {
    const std::string script = grid::completion_script(app_, shell);
    EXPECT_NE(script.find("deep"), std::string::npos) << shell;
    EXPECT_NE(script.find("pick"), std::string::npos) << shell;
    EXPECT_EQ(script.find("secret"), std::string::npos) << shell;
  }
  EXPECT_EQ(grid::completion_script(app_, "tcsh"), "");
}

TEST_F(Completion, BashOffersChoicesVerbatimAndRunsNothing) {
  const std::string file = write("bash");
  const std::string out = run("bash -c 'source \"$1\" && COMP_WORDS=(demo --pick \"\") COMP_CWORD=2 && _demo && "
                              "printf \"%s\\n\" \"${COMPREPLY[@]}\"' _ " + file);
  EXPECT_EQ(out, "x'y\nplain\n$HOME\n");
  const std::string flags = run("bash -c 'source \"$1\" && COMP_WORDS=(demo sub --d) COMP_CWORD=2 && _demo && "
                                "printf \"%s\\n\" \"${COMPREPLY[@]}\"' _ " + file);
  EXPECT_EQ(flags, "--deep\n");
  EXPECT_FALSE(ran());
}

TEST_F(Completion, FishOffersChoicesVerbatimAndRunsNothing) {
  if (run("command -v fish").empty()) GTEST_SKIP() << "fish is not installed";
  const std::string file = write("fish");
  const std::string out =
      run("fish --no-config -c 'source $argv[1]; and complete -C \"demo --pick \"' " + file + " | cut -f1 | sort");
  EXPECT_EQ(out, "$HOME\nplain\nx'y\n");
  const std::string subs = run("fish --no-config -c 'source $argv[1]; and complete -C \"demo \"' " + file);
  EXPECT_EQ(subs.substr(0, 4), "sub\t");
  EXPECT_FALSE(ran());
}

TEST_F(Completion, ZshScriptParsesAndRunsNothingWhenLoaded) {
  if (run("command -v zsh").empty()) GTEST_SKIP() << "zsh is not installed";
  const std::string file = write("zsh");
  EXPECT_EQ(run("zsh -n " + file + " && echo ok"), "ok\n");
  // Loading defines the functions; _arguments is not there to call outside
  // completion, so stub it.
  EXPECT_EQ(run("zsh -f -c '_arguments() { :; }; source $1; (( $+functions[_demo_sub] )) && echo ok' _ " + file),
            "ok\n");
  EXPECT_FALSE(ran());
}

}  // namespace
