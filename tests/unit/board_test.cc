// The board's pieces that need no server: names and places, the cursor,
// the XML of WebDAV and S3 listings, s3:// URLs, and the file:// backend.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <utime.h>

#include "code_of.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/message.h"
#include "core/net.h"
#include "core/s3_url.h"
#include "core/xml_records.h"
#include "market/board_cursor.h"
#include "market/board_names.h"
#include "market/board_store.h"
#include "temp_dir.h"

namespace grid {
namespace {

const std::string kHex(64, 'a');

SigningKey test_key() {
  std::array<uint8_t, 32> seed;
  unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed.data(), seed.size());
  return signing_key_from_seed(seed);
}

json signed_bid(const std::string& order) {
  json m = {{"kind", "bid"}, {"v", 1}, {"order", order}};
  sign_message(m, test_key());
  return m;
}

TEST(BoardNames, EachKindHasItsPlace) {
  json bid = signed_bid("sha256:" + kHex);
  std::string id = bid["id"].get<std::string>().substr(7);
  EXPECT_EQ(board_name(bid), "bids/" + kHex + "/" + id + ".json");
  EXPECT_TRUE(check_board_entry("bids/" + kHex + "/" + id + ".json", bid).ok());
  json profile = {{"kind", "profile"}, {"v", 1}};
  sign_message(profile, test_key());
  EXPECT_EQ(board_name(profile).substr(0, 9 + 65),
            "profiles/" + profile["sig"]["by"].get<std::string>().substr(8) + "/");
}

TEST(BoardNames, RefusesWhatHasNoPlace) {
  EXPECT_EQ(code_of([&] { board_name(signed_bid("order-1")); }), Exit::data);
  json task = {{"kind", "task"}, {"v", 1}};
  sign_message(task, test_key());
  EXPECT_EQ(code_of([&] { board_name(task); }), Exit::data);
  EXPECT_EQ(code_of([&] { board_kind("tasks"); }), Exit::usage);
  EXPECT_EQ(board_kind("bid").folder, std::string("bids"));
  EXPECT_EQ(board_kind("bids").kind, std::string("bid"));
}

TEST(BoardNames, EntryMustBeWhatItsNameSays) {
  json bid = signed_bid("sha256:" + kHex);
  std::string id = bid["id"].get<std::string>().substr(7);
  std::string other(64, 'b');
  Status misplaced = check_board_entry("bids/" + other + "/" + id + ".json", bid);
  EXPECT_FALSE(misplaced.ok());
  EXPECT_NE(misplaced.reason().find("misplaced"), std::string::npos);
  EXPECT_FALSE(check_board_entry("orders/" + id + ".json", bid).ok());
  json forged = bid;
  forged["order"] = "sha256:" + other;  // id no longer matches
  EXPECT_FALSE(check_board_entry("bids/" + other + "/" + id + ".json", forged).ok());
  json resigned = forged;
  set_message_id(resigned);  // a new id, but the old signature
  EXPECT_FALSE(check_board_entry(board_name(resigned), resigned).ok());
}

TEST(BoardCursor, TextRoundTrip) {
  BoardCursor c = BoardCursor().next({{"a", 1000}, {"b", 1200}});
  BoardCursor d = BoardCursor::parse(c.text(), "--since");
  EXPECT_EQ(d.text(), c.text());
  EXPECT_EQ(code_of([] { BoardCursor::parse("v2:1", "--since"); }), Exit::usage);
  EXPECT_EQ(code_of([] { BoardCursor::parse("v1:x", "--since"); }), Exit::usage);
  EXPECT_EQ(code_of([] { BoardCursor::parse("v1:5:zz", "--since"); }), Exit::usage);
}

TEST(BoardCursor, NewIsUnseenAndNotTooOld) {
  BoardCursor start;
  EXPECT_TRUE(start.is_new({"a", 0}));
  BoardCursor c = start.next({{"a", 1000}, {"b", 2000}});
  EXPECT_FALSE(c.is_new({"b", 2000}));                      // seen
  EXPECT_FALSE(c.is_new({"a", 1000}));                      // older than the window
  EXPECT_TRUE(c.is_new({"c", 2000 - kBoardCursorLagS}));    // late, but inside the window
  EXPECT_FALSE(c.is_new({"d", 2000 - kBoardCursorLagS - 1}));
  EXPECT_TRUE(c.is_new({"e", 2001}));
  // The window moves on: what fell out of it is not remembered.
  BoardCursor d = c.next({{"b", 2000}, {"e", 3000}});
  EXPECT_EQ(d.text().find(','), std::string::npos);
  EXPECT_FALSE(d.is_new({"e", 3000}));
}

TEST(XmlRecords, PropfindAndListObjects) {
  const std::string propfind =
      "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/b/bids/</D:href>"
      "<D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response>"
      "<D:response><D:href>/b/bids/x.json</D:href><D:propstat><D:prop><D:getlastmodified>Sun, 06 Dec 2026 "
      "09:55:07 GMT</D:getlastmodified><D:resourcetype/></D:prop></D:propstat></D:response></D:multistatus>";
  std::vector<XmlRecord> r = xml_records(propfind, "response", "test");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].count("collection"), 1u);
  EXPECT_EQ(r[1].at("href"), "/b/bids/x.json");
  EXPECT_EQ(parse_http_time(r[1].at("getlastmodified")), std::optional<int64_t>(1796550907));
  const std::string list =
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a/b.json</Key><LastModified>2026-12-06T09:55:07.000Z</LastModified></Contents>"
      "<NextContinuationToken>t+/=</NextContinuationToken></ListBucketResult>";
  XmlRecord top;
  r = xml_records(list, "Contents", "test", &top);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(parse_http_time(r[0].at("LastModified")), std::optional<int64_t>(1796550907));
  EXPECT_EQ(top.at("IsTruncated"), "true");
  EXPECT_EQ(percent_encode(top.at("NextContinuationToken")), "t%2B%2F%3D");
  EXPECT_EQ(code_of([] { xml_records("<a>", "b", "test"); }), Exit::data);
  // No entity expansion: an entity's text stays out.
  r = xml_records("<!DOCTYPE a [<!ENTITY e \"boom\">]><a><b>&e;</b></a>", "b", "test");
  ASSERT_EQ(r.size(), 1u);
}

TEST(S3Url, EndpointRegionAndCredentials) {
  ::setenv("AWS_ACCESS_KEY_ID", "id", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  ::unsetenv("AWS_ENDPOINT_URL_S3");
  ::setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);
  ::setenv("AWS_REGION", "eu-west-1", 1);
  S3Request r = s3_request("s3://my-bucket/a/b.json");
  EXPECT_EQ(r.http_url, "http://127.0.0.1:9/my-bucket/a/b.json");
  EXPECT_EQ(r.sigv4, "aws:amz:eu-west-1:s3");
  EXPECT_EQ(s3_request("s3://my-bucket?list-type=2").http_url, "http://127.0.0.1:9/my-bucket?list-type=2");
  ::unsetenv("AWS_ENDPOINT_URL");
  EXPECT_EQ(s3_request("s3://my-bucket/k").http_url, "https://my-bucket.s3.eu-west-1.amazonaws.com/k");
  EXPECT_EQ(code_of([] { s3_request("s3://B/k"); }), Exit::usage);
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(code_of([] { s3_request("s3://my-bucket/k"); }), Exit::usage);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_REGION");
  EXPECT_TRUE(is_url("S3://bucket/x"));
}

class FileBoard : public TempDirTest {};

TEST_F(FileBoard, CreatedOnceListedRecursively) {
  auto store = open_board_store("file://" + dir_ + "/board", {});
  EXPECT_TRUE(store->create("bids/o/1.json", "one\n"));
  EXPECT_FALSE(store->create("bids/o/1.json", "two\n"));
  EXPECT_EQ(store->read("bids/o/1.json", 100), "one\n");
  EXPECT_EQ(code_of([&] { store->read("bids/o/1.json", 2); }), Exit::data);
  EXPECT_EQ(code_of([&] { store->read("bids/o/2.json", 100); }), Exit::no_input);
  write_file_atomic(dir_ + "/board/bids/o/2.json.tmp.1.2", "in flight", 0644);
  std::vector<BoardEntry> all = store->list("bids/");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "bids/o/1.json");
  EXPECT_TRUE(store->list("orders/").empty());
}

}  // namespace
}  // namespace grid
