// Why an entry is incomplete (entry.md `error`), one kind per cause, marked and
// counted by one helper so every protocol words and counts it the same way.
#pragma once

#include <string>
#include <string_view>

#include "dissect/dissector.h"
#include "entries/entry.h"

namespace trawl {

enum class EntryProblem {
  kGap,         // "gap in stream": bytes of the exchange were not captured
  kNoResponse,  // "no response"
  kNoRequest,   // "no request"
  kTruncated,   // "truncated": the capture or the connection ended inside a message
  kMalformed,   // "malformed: <what>"
  kReset,       // "stream reset: <code>"
  kIncomplete,  // a known part is missing: "headers incomplete: ...", "ends early"
};

// The entry.md text of a problem, with `detail` after ": " when given
// ("no response: evicted (too many in flight)", "malformed: header block").
std::string problem_text(EntryProblem p, std::string_view detail = {});

// The kind of a problem text a parser carried ("malformed: filter" is kMalformed).
EntryProblem problem_of(std::string_view text);

// Marks the entry and counts the problem: gaps in loss.gap_entries, entries
// without their request or response in loss.unpaired. (Malformed messages are
// counted by the parsers, once per message, where they are found.)
void mark_problem(Entry& e, EntryProblem p, DissectCounters& counters,
                  std::string_view detail = {});
// The same for a text a parser carried: its kind is read from it, the text kept.
void mark_problem(Entry& e, std::string text, DissectCounters& counters);

}  // namespace trawl
