// Kubernetes identity on both ends of every entry: src/dst name, namespace,
// kind, workload, labels and services (entry.md), from a name history, as the
// address was owned at the entry's time.
#pragma once

#include <memory>

#include "kube/name_feed.h"
#include "stages/stage.h"

namespace trawl {

// Each pipeline's stage reads the feed's current book, taking a new one when
// it is published (live names from the cluster).
StageSpec kube_identity_stage(std::shared_ptr<const kube::NameFeed> feed);

}  // namespace trawl
