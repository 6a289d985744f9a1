// Where each message kind lives on the board (doc/design.md, "The board"):
// KIND-FOLDER/[PLACE/]ID.json, ID and PLACE the 64 hex digits of the
// message's id and of the field that places it:
//   orders/<order id>.json
//   bids/<order>/<bid id>.json               under the order it bids on
//   leases/<provider key>/<lease id>.json    under the provider it awards
//   results/<task>/<result id>.json          under the task it did
//   verdicts/<result>/<verdict id>.json      under the result it judges
//   profiles/<signer key>/<profile id>.json  under the key that signed it
// A name says what its file must hold; a reader believes nothing else.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/status.h"

namespace grid {

struct BoardKind {
  const char* kind;        // the message's "kind"
  const char* folder;      // its folder on the board
  const char* place;       // the field naming its subfolder ("" none; "sig.by": the signer)
  const char* place_flag;  // grid-board get's flag that picks one subfolder
};

// Every kind the board takes, one row each.
const std::vector<BoardKind>& board_kinds();

// The row of a kind, by its name ("bid") or its folder ("bids");
// Exit::usage naming the kinds otherwise.
const BoardKind& board_kind(const std::string& name);

// The 64 hex digits of "sha256:<hex>" or "ed25519:<hex>"; "" when `ref`
// is neither.
std::string board_ref_hex(const std::string& ref);

// Where `message` (signature checked) goes: Exit::data naming the field
// for a kind the board does not take or a place field that is missing or
// malformed.
std::string board_name(const json& message);

// Whether `message`, read at `name`, belongs there: a board name, the
// kind of its folder, a good id and signature, the id and the place the
// name says. The reason otherwise.
Status check_board_entry(const std::string& name, const json& message);

}  // namespace grid
