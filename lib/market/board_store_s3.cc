// The board in an S3 bucket (s3://bucket/prefix), signed with the AWS
// environment (lib/core/s3_url.h). The bucket must exist; the server must
// honour "If-None-Match: *" on PUT (AWS since 2024, SeaweedFS, MinIO).
#include <algorithm>

#include "core/error.h"
#include "core/s3_url.h"
#include "core/xml_records.h"
#include "market/board_store.h"

namespace grid {
namespace {

// ListObjectsV2 pages one listing may take: a bound on a server that keeps
// answering IsTruncated (1000 keys a page).
constexpr int kMaxListPages = 100000;

class S3BoardStore : public BoardStore {
 public:
  S3BoardStore(const std::string& url, const FetchOptions& options) : options_(options) {
    std::string rest = url.substr(5);
    size_t slash = rest.find('/');
    bucket_url_ = "s3://" + rest.substr(0, slash);
    prefix_ = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!prefix_.empty() && prefix_.back() != '/') prefix_ += '/';
    s3_request(bucket_url_);  // a bad bucket name or missing credentials: say so now
  }

  bool create(const std::string& name, const std::string& bytes) override {
    const std::string url = url_of(name);
    HttpAnswer a = http_request({"PUT", url, {"If-None-Match: *"}, &bytes, "post to"}, options_);
    if (a.status == 412) return false;
    if (a.status < 200 || a.status > 299) throw http_error("post to", url, a);
    return true;
  }

  std::vector<BoardEntry> list(const std::string& folder) override {
    std::vector<BoardEntry> out;
    const std::string prefix = prefix_ + folder;
    std::string token;
    for (int page = 0; page < kMaxListPages; ++page) {
      // SigV4 signs the query with its parameters sorted by name.
      std::string query = "?";
      if (!token.empty()) query += "continuation-token=" + percent_encode(token) + "&";
      query += "list-type=2&prefix=" + percent_encode(prefix);
      const std::string url = bucket_url_ + query;
      FetchOptions o = options_;
      o.max_bytes = kBoardMaxListingBytes;
      HttpAnswer a = http_request({"GET", url, {}, nullptr, "list"}, o);
      if (a.status < 200 || a.status > 299) throw http_error("list", url, a);
      XmlRecord top;
      for (const XmlRecord& r : xml_records(a.body, "Contents", redact_url(url), &top)) {
        auto key = r.find("Key");
        if (key == r.end() || key->second.compare(0, prefix_.size(), prefix_) != 0) continue;
        std::string name = key->second.substr(prefix_.size());
        if (std::count(name.begin() + static_cast<long>(folder.size()), name.end(), '/') >= kBoardMaxDepth) continue;
        BoardEntry e{name, 0};
        if (auto m = r.find("LastModified"); m != r.end()) e.mtime = parse_http_time(m->second).value_or(0);
        out.push_back(std::move(e));
      }
      auto truncated = top.find("IsTruncated");
      auto next = top.find("NextContinuationToken");
      if (truncated == top.end() || truncated->second != "true") return out;
      if (next == top.end() || next->second.empty() || next->second == token)
        throw Error(Exit::data, "cannot list " + redact_url(url) + ": a truncated page without a new continuation token");
      token = next->second;
    }
    throw Error(Exit::data, "cannot list " + redact_url(bucket_url_ + "/" + prefix) + ": more than " +
                                std::to_string(kMaxListPages) + " pages");
  }

  std::string read(const std::string& name, uint64_t max_bytes) override {
    FetchOptions o = options_;
    o.max_bytes = max_bytes;
    return fetch_bytes(url_of(name), std::nullopt, o);
  }

 private:
  std::string url_of(const std::string& name) const { return bucket_url_ + "/" + percent_encode(prefix_ + name, "/"); }

  FetchOptions options_;
  std::string bucket_url_, prefix_;
};

}  // namespace

std::unique_ptr<BoardStore> s3_board_store(const std::string& url, const FetchOptions& options) {
  return std::make_unique<S3BoardStore>(url, options);
}

}  // namespace grid
