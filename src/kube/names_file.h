// A name history from a file, for `trawl read --names FILE`: either what
// `kubectl get pods,services,endpointslices,nodes,replicasets,jobs -A -o json`
// prints (a List, or a PodList, ...: the objects as they are when the file was
// written, each owning its addresses since its creation), or the history
// trawl keeps, one event a line: {"type":"ADDED","object":{...},"seenAt":"RFC 3339"}.
#pragma once

#include <memory>
#include <string>

#include "kube/identity.h"

namespace trawl::kube {

// Throws std::runtime_error naming the file (and line) when it cannot be read.
std::shared_ptr<NameHistory> load_names(const std::string& path);

// trawl's own history file into `history`; lines that are not events (one cut
// short by a crash) are skipped and counted. Throws when it cannot be read.
size_t load_history_into(const std::string& path, NameHistory& history);

}  // namespace trawl::kube
