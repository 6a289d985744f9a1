// s3://bucket/key URLs (doc/design.md, "Storage and network"): where the
// request goes and how it is signed, from the AWS CLI's environment.
//   AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL   the server, e.g.
//       http://127.0.0.1:8333 (path-style: ENDPOINT/bucket/key); unset:
//       AWS itself, https://bucket.s3.REGION.amazonaws.com/key
//   AWS_REGION, else AWS_DEFAULT_REGION          the signing region
//       (default us-east-1)
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY     the credentials (required)
//   AWS_SESSION_TOKEN                            sent when set
// Requests are signed by libcurl (CURLOPT_AWS_SIGV4, libcurl >= 7.75).
#pragma once

#include <string>
#include <string_view>

namespace grid {

// True for s3:// (scheme case-insensitive).
bool is_s3_url(std::string_view url);

struct S3Request {
  std::string http_url;  // where to send it
  std::string sigv4;     // CURLOPT_AWS_SIGV4: "aws:amz:REGION:s3"
  std::string access_key, secret_key, session_token;
};

// An s3://bucket[/key][?query] URL resolved against the environment. The
// key is sent as written (it must already be URL-safe); the query, when
// there is one, must have its parameters sorted by name and
// percent-encoded, as SigV4 signs it (libcurl 7.88 signs it as given).
// Exit::usage for a malformed URL or missing credentials.
S3Request s3_request(const std::string& url);

}  // namespace grid
