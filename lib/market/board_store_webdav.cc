// The board on a WebDAV server (http(s)://). What the server must offer:
// PUT, MOVE with "Overwrite: F" answering 412 when the destination exists,
// DELETE, and a listing: PROPFIND with "Depth: 1", or GET of a folder
// answering a JSON array of {"name", "type": "file"|"directory", "mtime"}
// (nginx: autoindex on; autoindex_format json). MKCOL makes the folders a
// MOVE needs where the server does not make them itself.
#include <sodium.h>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/xml_records.h"
#include "market/board_store.h"

namespace grid {
namespace {

// Where posts are written before their MOVE: a folder of its own, so that
// listings of the kinds' folders never see a half-written file.
constexpr const char* kTempFolder = "tmp/";

// The path part of an http(s) URL: "/board/" of "http://h:80/board/".
std::string url_path(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

class WebDavBoardStore : public BoardStore {
 public:
  WebDavBoardStore(std::string base, const FetchOptions& options) : base_(std::move(base)), options_(options) {
    if (base_.empty() || base_.back() != '/') base_ += '/';
    base_path_ = url_path(base_);
  }

  bool create(const std::string& name, const std::string& bytes) override {
    uint8_t rnd[12];
    randombytes_buf(rnd, sizeof rnd);
    const std::string temp = kTempFolder + hex(rnd, sizeof rnd);
    HttpAnswer put = send_making_folders({"PUT", url_of(temp), {}, &bytes, "post to"}, temp);
    if (put.status < 200 || put.status > 299) throw http_error("post to", url_of(temp), put);
    HttpAnswer a = send_making_folders(
        {"MOVE", url_of(temp), {"Destination: " + url_of(name), "Overwrite: F"}, nullptr, "post to"}, name);
    if (a.status == 412) {
      http_request({"DELETE", url_of(temp), {}, nullptr, "clean up"}, options_);  // best effort
      return false;
    }
    // A MOVE done whose answer was lost, then retried: the temp file is gone.
    if (a.status == 404) return false;
    return true;
  }

  std::vector<BoardEntry> list(const std::string& folder) override {
    std::vector<BoardEntry> out;
    walk(folder, 1, out);
    return out;
  }

  std::string read(const std::string& name, uint64_t max_bytes) override {
    FetchOptions o = options_;
    o.max_bytes = max_bytes;
    return fetch_bytes(url_of(name), std::nullopt, o);
  }

 private:
  std::string url_of(const std::string& name) const { return base_ + percent_encode(name, "/"); }

  FetchOptions listing_options() const {
    FetchOptions o = options_;
    o.max_bytes = kBoardMaxListingBytes;
    return o;
  }

  // Sends `request`; when the server answers 409 (Conflict: a folder on
  // the way to `target` is missing), makes the folders with MKCOL and
  // sends it once more. 2xx, 404 and 412 are the caller's to judge.
  HttpAnswer send_making_folders(const HttpRequest& request, const std::string& target) {
    HttpAnswer a = http_request(request, options_);
    if (a.status == 409) {
      make_folders(target);
      a = http_request(request, options_);
    }
    if (a.status < 200 || (a.status > 299 && a.status != 404 && a.status != 412))
      throw http_error(request.verb, request.url, a);
    return a;
  }

  void make_folders(const std::string& name) {
    for (size_t at = name.find('/'); at != std::string::npos; at = name.find('/', at + 1)) {
      HttpAnswer a = http_request({"MKCOL", url_of(name.substr(0, at + 1)), {}, nullptr, "make a folder on"}, options_);
      // 405: the folder is there already.
      if ((a.status < 200 || a.status > 299) && a.status != 405) throw http_error("make a folder on", url_of(name), a);
    }
  }

  void walk(const std::string& folder, int depth, std::vector<BoardEntry>& out) {
    std::vector<std::pair<BoardEntry, bool>> children;  // entry, is a folder
    if (!list_by_json_ && !list_propfind(folder, children)) list_by_json_ = true;
    if (list_by_json_) list_json(folder, children);
    for (auto& [entry, is_folder] : children) {
      if (!is_folder) {
        out.push_back(std::move(entry));
      } else if (depth < kBoardMaxDepth) {
        walk(entry.name + "/", depth + 1, out);
      }
    }
  }

  // False when the server has no PROPFIND (405, 501).
  bool list_propfind(const std::string& folder, std::vector<std::pair<BoardEntry, bool>>& children) {
    const std::string url = url_of(folder);
    HttpAnswer a = http_request({"PROPFIND", url, {"Depth: 1", "Content-Type: application/xml"}, nullptr, "list"},
                                listing_options());
    if (a.status == 405 || a.status == 501) return false;
    if (a.status == 404) return true;
    if (a.status != 207) throw http_error("list", url, a);
    const std::string prefix = base_path_ + folder;
    for (const XmlRecord& r : xml_records(a.body, "response", redact_url(url))) {
      auto href = r.find("href");
      if (href == r.end()) continue;
      std::string path = href->second;
      if (path.find("://") != std::string::npos) path = url_path(path);
      std::optional<std::string> decoded = percent_decode(path);
      if (!decoded || decoded->compare(0, prefix.size(), prefix) != 0) continue;
      std::string child = decoded->substr(prefix.size());
      while (!child.empty() && child.back() == '/') child.pop_back();
      if (child.empty() || child.find('/') != std::string::npos) continue;  // the folder itself
      BoardEntry e{folder + child, 0};
      if (auto m = r.find("getlastmodified"); m != r.end()) e.mtime = parse_http_time(m->second).value_or(0);
      children.emplace_back(std::move(e), r.count("collection") > 0);
    }
    return true;
  }

  void list_json(const std::string& folder, std::vector<std::pair<BoardEntry, bool>>& children) {
    const std::string url = url_of(folder);
    HttpAnswer a = http_request({"GET", url, {"Accept: application/json"}, nullptr, "list"}, listing_options());
    if (a.status == 404) return;
    if (a.status < 200 || a.status > 299) throw http_error("list", url, a);
    json index = json::parse(a.body, nullptr, /*allow_exceptions=*/false);
    if (!index.is_array())
      throw Error(Exit::unavailable, "cannot list " + redact_url(url) +
                                         ": the server offers neither PROPFIND nor a JSON folder index");
    for (const json& item : index) {
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) continue;
      const std::string name = item["name"].get<std::string>();
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") continue;
      BoardEntry e{folder + name, 0};
      if (item.contains("mtime") && item["mtime"].is_string())
        e.mtime = parse_http_time(item["mtime"].get<std::string>()).value_or(0);
      // The server is a stranger too: a "type" that is no string is no folder.
      children.emplace_back(std::move(e), item.contains("type") && item["type"] == "directory");
    }
  }

  std::string base_, base_path_;
  FetchOptions options_;
  bool list_by_json_ = false;  // the server answered PROPFIND with 405 once
};

}  // namespace

std::unique_ptr<BoardStore> webdav_board_store(const std::string& url, const FetchOptions& options) {
  return std::make_unique<WebDavBoardStore>(url, options);
}

}  // namespace grid
