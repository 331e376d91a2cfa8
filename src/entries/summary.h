// The one-line summary of an entry ("GET /api/users", "A example.com",
// "closed 6+4 pkts http"), made once here: the CLI table prints it, and the API
// and live stream serve it beside the entry, for the dashboard to show as is.
#pragma once

#include <string>

#include "entries/entry.h"

namespace trawl {

std::string entry_summary(const Entry& e);

// The entry's JSON (entry.md) with its summary added as "summary", as the API
// and the live stream send it.
void write_served_entry_json(std::string& out, const Entry& e);

}  // namespace trawl
