// The board in a local folder (file://): for one machine, or a folder
// every participant mounts.
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/file_io.h"
#include "market/board_store.h"

namespace grid {
namespace {

class FileBoardStore : public BoardStore {
 public:
  explicit FileBoardStore(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  }

  bool create(const std::string& name, const std::string& bytes) override {
    const std::string path = root_ + "/" + name;
    make_dirs(parent_of(path));
    return write_file_atomic(path, bytes, 0644, /*replace=*/false);
  }

  std::vector<BoardEntry> list(const std::string& folder) override {
    std::vector<BoardEntry> out;
    walk(folder, 1, out);
    return out;
  }

  std::string read(const std::string& name, uint64_t max_bytes) override {
    return read_file(root_ + "/" + name, max_bytes);
  }

 private:
  void walk(const std::string& folder, int depth, std::vector<BoardEntry>& out) {
    const std::string dir = root_ + "/" + folder;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
      if (errno == ENOENT || errno == ENOTDIR) return;
      throw Error(Exit::io, "cannot list " + dir + ": " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      // Skipped: "." and "..", and the temp files of writes in flight
      // (write_file_atomic's NAME.tmp.PID.RANDOM).
      if (n[0] != '.' && n.find(".tmp.") == std::string::npos) names.push_back(std::move(n));
    }
    ::closedir(d);
    for (const std::string& n : names) {
      struct stat st;
      if (::lstat((dir + n).c_str(), &st) != 0) continue;  // removed meanwhile
      if (S_ISDIR(st.st_mode)) {
        if (depth < kBoardMaxDepth) walk(folder + n + "/", depth + 1, out);
      } else if (S_ISREG(st.st_mode)) {
        out.push_back({folder + n, static_cast<int64_t>(st.st_mtime)});
      }
    }
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<BoardStore> file_board_store(const std::string& url) {
  return std::make_unique<FileBoardStore>(file_url_path(url));
}

}  // namespace grid
