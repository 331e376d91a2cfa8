// Stages made of KFL: keep only what a query matches (filter), and replace
// named fields by "[REDACTED]" (redact), before entries are numbered and kept.
#pragma once

#include <string>
#include <vector>

#include "stages/stage.h"

namespace trawl {

// A query that does not compile, or cannot work before entries have ids
// (limit(), id), throws std::invalid_argument saying what is wrong, as
// `1:9: expected a value after '=='`.
StageSpec keep_stage(const std::string& query);
// Fields are KFL selectors: request.headers["x-api-key"], response.body.
StageSpec redact_stage(const std::vector<std::string>& fields);

}  // namespace trawl
