#include "core/xml_records.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

#include "core/error.h"

namespace grid {
namespace {

std::string local_name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

std::string text_of(const xmlNode* n) {
  std::string out;
  for (const xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
      out += reinterpret_cast<const char*>(c->content);
  return out;
}

void collect(const xmlNode* n, XmlRecord& into) {
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    into.emplace(local_name(c), text_of(c));
    collect(c, into);
  }
}

void find(const xmlNode* n, const std::string& record, std::vector<XmlRecord>& out) {
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (local_name(c) == record) {
      collect(c, out.emplace_back());
    } else {
      find(c, record, out);
    }
  }
}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

}  // namespace

std::vector<XmlRecord> xml_records(const std::string& xml, const std::string& record, const std::string& source,
                                   XmlRecord* top) {
  std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (!root) throw Error(Exit::data, source + " answered with something that is not XML");
  std::vector<XmlRecord> out;
  if (local_name(root) == record) {
    collect(root, out.emplace_back());
  } else {
    find(root, record, out);
  }
  if (top)
    for (const xmlNode* c = root->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE) top->emplace(local_name(c), text_of(c));
  return out;
}

}  // namespace grid
