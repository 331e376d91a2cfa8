#include "dissect/entry_problem.h"

#include <array>
#include <utility>

namespace trawl {

namespace {

constexpr std::array<std::pair<EntryProblem, std::string_view>, 6> kTexts{{
    {EntryProblem::kGap, "gap in stream"},
    {EntryProblem::kNoResponse, "no response"},
    {EntryProblem::kNoRequest, "no request"},
    {EntryProblem::kTruncated, "truncated"},
    {EntryProblem::kMalformed, "malformed"},
    {EntryProblem::kReset, "stream reset"},
}};

void count(EntryProblem p, DissectCounters& counters) {
  if (p == EntryProblem::kGap) ++counters.gap_entries;
  if (p == EntryProblem::kNoResponse || p == EntryProblem::kNoRequest) ++counters.unpaired;
}

}  // namespace

std::string problem_text(EntryProblem p, std::string_view detail) {
  std::string text;
  for (const auto& [kind, words] : kTexts)
    if (kind == p) text = words;
  if (!detail.empty()) text += text.empty() ? std::string(detail) : ": " + std::string(detail);
  return text;
}

EntryProblem problem_of(std::string_view text) {
  for (const auto& [kind, words] : kTexts)
    if (text.starts_with(words) &&
        (text.size() == words.size() || text[words.size()] == ':' || text[words.size()] == ' '))
      return kind;
  return EntryProblem::kIncomplete;
}

void mark_problem(Entry& e, EntryProblem p, DissectCounters& counters, std::string_view detail) {
  e.error = problem_text(p, detail);
  count(p, counters);
}

void mark_problem(Entry& e, std::string text, DissectCounters& counters) {
  count(problem_of(text), counters);
  e.error = std::move(text);
}

}  // namespace trawl
