// A board server's listing as grid-board reads it: a WebDAV PROPFIND
// answer and an S3 ListObjectsV2 page, a stranger's bytes either way. Any
// input is records or an Error(Exit::data), nothing else; every field is
// named; the times and hrefs in the records parse or are refused without
// a crash.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/net.h"
#include "core/xml_records.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string xml(reinterpret_cast<const char*>(data), size);
  for (const char* record : {"response", "Contents"}) {
    grid::XmlRecord top;
    std::vector<grid::XmlRecord> records;
    try {
      records = grid::xml_records(xml, record, "fuzz", &top);
    } catch (const grid::Error& e) {
      FUZZ_CHECK(e.code() == grid::Exit::data);
      return 0;
    }
    for (const grid::XmlRecord& r : records) {
      for (const auto& [name, text] : r) {
        FUZZ_CHECK(!name.empty());
        (void)grid::parse_http_time(text);
        (void)grid::percent_decode(text);
      }
    }
    for (const auto& [name, text] : top) FUZZ_CHECK(!name.empty());
  }
  return 0;
}
