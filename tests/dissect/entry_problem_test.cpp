// One way to word and count why an entry is incomplete.
#include "dissect/entry_problem.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

TEST(EntryProblem, TextsAreEntryMds) {
  EXPECT_EQ(problem_text(EntryProblem::kGap), "gap in stream");
  EXPECT_EQ(problem_text(EntryProblem::kNoResponse, "evicted (too many in flight)"),
            "no response: evicted (too many in flight)");
  EXPECT_EQ(problem_text(EntryProblem::kMalformed, "header block"), "malformed: header block");
  EXPECT_EQ(problem_text(EntryProblem::kIncomplete, "ends early"), "ends early");
}

TEST(EntryProblem, KindsAreReadFromCarriedTexts) {
  EXPECT_EQ(problem_of("no request: its method was evicted"), EntryProblem::kNoRequest);
  EXPECT_EQ(problem_of("no response"), EntryProblem::kNoResponse);
  EXPECT_EQ(problem_of("stream reset: CANCEL"), EntryProblem::kReset);
  EXPECT_EQ(problem_of("malformed: filter"), EntryProblem::kMalformed);
  EXPECT_EQ(problem_of("truncated"), EntryProblem::kTruncated);
  EXPECT_EQ(problem_of("no responses yet"), EntryProblem::kIncomplete);
  EXPECT_EQ(problem_of("headers incomplete: HPACK table"), EntryProblem::kIncomplete);
}

TEST(EntryProblem, MarkingCountsGapsAndUnpairedOnly) {
  DissectCounters c;
  Entry e;
  mark_problem(e, EntryProblem::kGap, c);
  mark_problem(e, EntryProblem::kNoRequest, c);
  mark_problem(e, std::string("no response: channel closed"), c);
  mark_problem(e, EntryProblem::kMalformed, c, "arguments");
  EXPECT_EQ(e.error, "malformed: arguments");
  EXPECT_EQ(c.gap_entries, 1u);
  EXPECT_EQ(c.unpaired, 2u);
  EXPECT_EQ(c.malformed, 0u);  // the parser counts it where it finds it
}

}  // namespace
}  // namespace trawl
