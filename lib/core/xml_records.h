// What the WebDAV and S3 listings answer in XML, read through libxml2:
// flat records of element texts, by local name (namespace prefixes vary
// from server to server: D:, d:, lp1:, none).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace grid {

// Local element name -> text, of the first element of each name.
using XmlRecord = std::map<std::string, std::string>;

// One record per element named `record` (e.g. "response", "Contents"):
// the texts of every element below it, an empty element as "". `top`,
// when given, gets the texts of the root element's children (e.g.
// "IsTruncated"). Exit::data naming `source` when `xml` does not parse;
// no network access, no entity expansion.
std::vector<XmlRecord> xml_records(const std::string& xml, const std::string& record, const std::string& source,
                                   XmlRecord* top = nullptr);

}  // namespace grid
