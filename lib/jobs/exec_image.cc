#include "jobs/exec_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "core/store.h"

namespace grid {
namespace {

namespace fs = std::filesystem;

// Thrown past the unpacking when the image was renamed into place by
// another unpacker meanwhile: not a failure.
struct ImageInPlace {};

// Names under images/ besides the images' own: an unpack under way (or
// killed), and an image being removed by gc.
constexpr char kUnpacking[] = ".unpack-";
constexpr char kRemoving[] = ".removing-";

// libarchive's reads: blocks of this size (its own default).
constexpr size_t kBlockBytes = 10240;

// The components of a relative archive path, "." ones dropped; false for
// an absolute path or one with a ".." component.
bool split_safe(const std::string& path, std::vector<std::string>* parts) {
  if (path.empty() || path[0] == '/') return false;
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = path.find('/', at);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(at, end - at);
    if (part == "..") return false;
    if (!part.empty() && part != ".") parts->push_back(part);
    at = end + 1;
  }
  return true;
}

// Whether a symbolic link at `link` (relative to the root) with relative
// target `target` stays within the root when followed from its folder.
bool link_stays_in(const std::vector<std::string>& link, const std::string& target) {
  int64_t depth = static_cast<int64_t>(link.size()) - 1;  // the link's folder
  size_t at = 0;
  while (at <= target.size()) {
    size_t end = target.find('/', at);
    if (end == std::string::npos) end = target.size();
    const std::string part = target.substr(at, end - at);
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    at = end + 1;
  }
  return true;
}

struct ArchiveReader {
  archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};
struct ArchiveWriter {
  archive* a = archive_write_disk_new();
  ~ArchiveWriter() { archive_write_free(a); }
};

// Why entry `e` may not be unpacked; "" when it may.
std::string refusal(archive_entry* e) {
  const char* name = archive_entry_pathname(e);
  const std::string path = name ? name : "";
  std::vector<std::string> parts;
  if (!split_safe(path, &parts)) return "entry \"" + path + "\" is an absolute path or climbs out with \"..\"";
  if (const char* hard = archive_entry_hardlink(e)) {
    std::vector<std::string> target;
    if (!split_safe(hard, &target)) return "hard link \"" + path + "\" points out of the root at \"" + hard + "\"";
  }
  if (archive_entry_filetype(e) == AE_IFLNK) {
    const char* t = archive_entry_symlink(e);
    const std::string target = t ? t : "";
    // An absolute target is read inside the sandbox, where the image is
    // the root; a relative one must not climb past it.
    if (!target.empty() && target[0] != '/' && !link_stays_in(parts, target))
      return "symbolic link \"" + path + "\" points out of the root at \"" + target + "\"";
  }
  return "";
}

// The working folder, changed for the unpacking and restored after it:
// libarchive's secure extraction takes paths relative to it, and refuses
// the absolute ones a prefix would make.
class InFolder {
 public:
  explicit InFolder(const std::string& dir) {
    back_ = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (back_ < 0 || ::chdir(dir.c_str()) != 0) throw Error(Exit::io, "cannot enter " + dir + ": " + std::strerror(errno));
  }
  ~InFolder() {
    if (::fchdir(back_) != 0) std::perror("fchdir");
    ::close(back_);
  }
  InFolder(const InFolder&) = delete;
  InFolder& operator=(const InFolder&) = delete;

 private:
  int back_ = -1;
};

void unpack_into(const std::string& tarball, const std::string& dir, const std::string& field) {
  const std::string source = fs::absolute(tarball).string();
  InFolder here(dir);
  ArchiveReader in;
  archive_read_support_format_tar(in.a);
  archive_read_support_format_gnutar(in.a);
  archive_read_support_filter_all(in.a);
  if (archive_read_open_filename(in.a, source.c_str(), kBlockBytes) != ARCHIVE_OK)
    throw data_error(std::string("the image is no tar archive: ") + archive_error_string(in.a), field);
  ArchiveWriter out;
  archive_write_disk_set_options(out.a, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  for (;;) {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(in.a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) throw data_error(std::string("the image's tarball: ") + archive_error_string(in.a), field);
    if (const std::string why = refusal(e); !why.empty()) throw data_error("the image's tarball: " + why, field);
    const auto type = archive_entry_filetype(e);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue;
    // No set-id bits; folders stay writable by their owner so unpacking
    // (and a later store gc) can fill and empty them.
    mode_t perm = archive_entry_perm(e) & 0777;
    if (type == AE_IFDIR) perm |= 0700;
    archive_entry_set_perm(e, perm);
    if (archive_write_header(out.a, e) < ARCHIVE_WARN)
      throw data_error(std::string("the image's tarball: ") + archive_error_string(out.a), field);
    if (archive_entry_size(e) > 0 && type == AE_IFREG) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      int rr;
      while ((rr = archive_read_data_block(in.a, &buf, &size, &offset)) == ARCHIVE_OK)
        if (archive_write_data_block(out.a, buf, size, offset) < ARCHIVE_WARN)
          throw Error(Exit::io, std::string("unpacking the image: ") + archive_error_string(out.a));
      if (rr != ARCHIVE_EOF) throw data_error(std::string("the image's tarball: ") + archive_error_string(in.a), field);
    }
    if (archive_write_finish_entry(out.a) < ARCHIVE_WARN)
      throw Error(Exit::io, std::string("unpacking the image: ") + archive_error_string(out.a));
  }
  if (archive_write_close(out.a) != ARCHIVE_OK) throw Error(Exit::io, std::string("unpacking the image: ") + archive_error_string(out.a));
}

}  // namespace

std::string image_dir(const Store& store, const Digest& key) { return store.dir() + "/images/" + hex(key); }

std::string unpack_image(Store& store, const Digest& key, const std::string& tarball, const std::string& field) {
  const std::string dir = image_dir(store, key);
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  make_dirs(store.dir() + "/images");
  // One unpacker at a time per image; the others then find it in place.
  // The lock file goes with its holder: a later holder of a new one finds
  // the image there, and two that unpack at once both rename (below).
  const std::string lock_path = store.dir() + "/images/." + hex(key) + ".lock";
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) throw Error(Exit::io, "cannot create " + lock_path + ": " + std::strerror(errno));
  struct LockFile {
    int fd;
    std::string path;
    ~LockFile() {
      ::unlink(path.c_str());
      ::close(fd);
    }
  } held{lock, lock_path};
  while (::flock(lock, LOCK_EX) != 0)
    if (errno != EINTR) throw Error(Exit::io, "cannot lock " + lock_path + ": " + std::strerror(errno));
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  std::string temp = store.dir() + "/images/" + kUnpacking + hex(key) + ".XXXXXX";
  if (!::mkdtemp(temp.data())) throw Error(Exit::io, "cannot make " + temp + ": " + std::strerror(errno));
  try {
    unpack_into(tarball, temp, field);
    ::chmod(temp.c_str(), 0755);
    if (::rename(temp.c_str(), dir.c_str()) != 0) {
      const int err = errno;
      // Another unpacker of the same bytes got there first.
      if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw ImageInPlace{};
      throw Error(Exit::io, "cannot move the image into " + dir + ": " + std::strerror(err));
    }
    fsync_dir(store.dir() + "/images");
  } catch (const ImageInPlace&) {
    remove_tree(temp);
  } catch (...) {
    remove_tree(temp);
    throw;
  }
  return dir;
}

std::vector<StoredImage> stored_images(const Store& store) {
  std::vector<StoredImage> images, leftovers;
  const std::string folder = store.dir() + "/images";
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return {};
    throw Error(Exit::io, "cannot read " + folder + ": " + ec.message());
  }
  for (const fs::directory_entry& e : it) {
    const std::string name = e.path().filename().string();
    StoredImage image;
    image.path = e.path().string();
    struct stat st;
    if (::lstat(image.path.c_str(), &st) != 0) continue;  // gone meanwhile
    image.changed = st.st_ctime;
    Digest key;
    if (S_ISDIR(st.st_mode) && name.size() == 64 && unhex(name, key.data(), key.size()) && hex(key) == name) {
      image.key = key;
      images.push_back(image);
    } else if (name.rfind(kUnpacking, 0) == 0 || name.rfind(kRemoving, 0) == 0) {
      leftovers.push_back(image);
    }
  }
  std::sort(images.begin(), images.end(), [](const StoredImage& a, const StoredImage& b) { return *a.key < *b.key; });
  images.insert(images.end(), leftovers.begin(), leftovers.end());
  return images;
}

void remove_image(const Store& store, const StoredImage& image) {
  std::string path = image.path;
  if (image.key) {
    const std::string aside = store.dir() + "/images/" + kRemoving + hex(*image.key) + "." + std::to_string(::getpid());
    remove_tree(aside);  // a killed gc's, under the same pid
    if (::rename(path.c_str(), aside.c_str()) != 0) {
      if (errno == ENOENT) return;
      throw Error(Exit::io, "cannot move " + path + " aside to remove it: " + std::strerror(errno));
    }
    fsync_dir(store.dir() + "/images");
    path = aside;
  }
  if (!remove_tree(path)) throw Error(Exit::io, "cannot remove " + path);
}

}  // namespace grid
