#include "core/s3_url.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace grid {
namespace {

constexpr const char* kDefaultRegion = "us-east-1";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string first_env(const char* a, const char* b) {
  std::string v = env(a);
  return v.empty() ? env(b) : v;
}

bool valid_bucket(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.'))
      return false;
  return true;
}

}  // namespace

bool is_s3_url(std::string_view url) {
  if (url.size() < 5) return false;
  for (size_t i = 0; i < 5; ++i)
    if (std::tolower(static_cast<unsigned char>(url[i])) != "s3://"[i]) return false;
  return true;
}

S3Request s3_request(const std::string& url) {
  if (!is_s3_url(url)) throw Error(Exit::usage, url + ": not an s3:// URL");
  std::string rest = url.substr(5);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q);
    rest.resize(q);
  }
  size_t slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!valid_bucket(bucket))
    throw Error(Exit::usage, url + ": the bucket name must be 3 to 63 lower-case letters, digits, '-' or '.'");
  S3Request r;
  r.access_key = env("AWS_ACCESS_KEY_ID");
  r.secret_key = env("AWS_SECRET_ACCESS_KEY");
  r.session_token = env("AWS_SESSION_TOKEN");
  if (r.access_key.empty() || r.secret_key.empty())
    throw Error(Exit::usage, url + ": s3:// URLs need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
  std::string region = first_env("AWS_REGION", "AWS_DEFAULT_REGION");
  if (region.empty()) region = kDefaultRegion;
  r.sigv4 = "aws:amz:" + region + ":s3";
  std::string endpoint = first_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
  if (endpoint.empty()) {
    r.http_url = "https://" + bucket + ".s3." + region + ".amazonaws.com/" + key + query;
  } else {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    r.http_url = endpoint + "/" + bucket + (key.empty() && !query.empty() ? "" : "/" + key) + query;
  }
  return r;
}

}  // namespace grid
