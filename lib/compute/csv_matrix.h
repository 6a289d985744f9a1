// CSV files as users have them (RFC 4180): records of fields, a float32
// matrix of numbers (rows x columns), or a column of class labels.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compute/npy.h"
#include "core/error.h"

namespace grid {

// The delimiter a CSV file has unless its spec says otherwise.
constexpr char kCsvDelimiter = ',';

// Reads `text` record by record, as RFC 4180 has it: fields split at
// `delimiter`; a field in double quotes may hold the delimiter, CR, LF and
// doubled quotes (""), which stand for one; records end at LF or CRLF, the
// last one also at the end of the text. Beyond the RFC: a UTF-8 byte order
// mark is skipped; blank lines (only spaces and tabs) are skipped; spaces
// and tabs around a field are dropped (inside quotes they are kept).
// Error(Exit::data), its message naming `name`, the line and the column (the
// field's number): a quote inside an unquoted field, text after a closing
// quote, a quoted field that is never closed.
class CsvRecords {
 public:
  CsvRecords(std::string_view text, std::string name, char delimiter = kCsvDelimiter);

  // Moves to the next record; false at the end of the text.
  bool next();
  // The record's fields; valid until the next call of next().
  const std::vector<std::string_view>& fields() const { return fields_; }
  // The line (from 1) where the record starts.
  size_t line() const { return lines_.empty() ? line_ : lines_.front(); }
  // Error(Exit::data) "NAME line L, column C: what", L the line where field
  // C (from 1) starts; without the column when C is 0.
  Error error(size_t column, const std::string& what) const;

 private:
  void read_record();
  Error error_at(size_t line, size_t column, const std::string& what) const;

  std::string_view text_;
  std::string name_;
  char delimiter_;
  size_t pos_ = 0, line_ = 1;
  bool blank_ = false;                   // the record is one empty unquoted field
  std::vector<std::string_view> fields_;
  std::vector<size_t> lines_;            // where each field starts
  std::vector<std::string> unescaped_;   // quoted fields with doubled quotes
  std::vector<size_t> unescaped_field_;  // and which field each is
};

// Parses `text` as records (CsvRecords) of numbers, one row per record.
// The first record is a header, kept in `header` when given, if one of its
// fields is text that is not a number. Numbers are read the same in every
// locale (std::from_chars, rounded to nearest float32; a leading '+' is
// allowed; values too small for float32 become 0).
// Error(Exit::data), its message naming `name`, the line and the column:
// what CsvRecords rejects, an empty field, a field that is not a number,
// NaN or infinity, a value beyond float32's range, a row with a different
// number of fields than the first, or no rows.
// The result has shape {rows, columns}.
Matrix parse_csv_matrix(std::string_view text, const std::string& name, std::vector<std::string>* header = nullptr,
                        char delimiter = kCsvDelimiter);

// A column of class labels: numbers, or names.
struct CsvLabels {
  Matrix numbers;                  // numbers: as parse_csv_matrix reads the file
  std::vector<std::string> names;  // names: each class's, in index order
  std::vector<int32_t> classes;    // names: each row's class
};

// Reads class labels. When every field after the first record is a number,
// the file is read by parse_csv_matrix into `numbers`. Otherwise every
// label is a name, one a record: the distinct names become classes 0, 1, ...
// in the order they first appear in the file, so the same bytes give the
// same classes everywhere. The first record is then a header exactly when
// the file has `rows` + 1 records (a header cannot be told from a name).
// Error(Exit::data) naming `name` and the line: what CsvRecords rejects, a
// record of more than one field, an empty name, or a number of records
// that is neither `rows` nor `rows` + 1.
CsvLabels parse_csv_labels(std::string_view text, const std::string& name, size_t rows,
                           char delimiter = kCsvDelimiter);

}  // namespace grid
