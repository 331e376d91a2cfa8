// The routes that read the store and the packet ring, as sliced replies.
#pragma once

#include <string_view>

#include "api/routes.h"

namespace trawl::api {

// GET /api/entries?q=&limit=&before=&after=: entries matching a KFL query,
// newest first. A bad parameter or query is answered at once.
Routed entries_page(Worker& worker, const Target& target, ApiCounters* counters);

// GET /api/entries/{id} and /api/entries/{id}/pcap (`rest` is what follows
// /api/entries/).
Routed entry_by_id(Worker& worker, std::string_view rest);

}  // namespace trawl::api
