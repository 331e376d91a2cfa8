// Kubernetes identity on both ends of every entry: src/dst name, namespace,
// kind, workload, labels and services (entry.md), from a name history, as the
// address was owned at the entry's time.
#pragma once

#include <memory>

#include "kube/identity.h"
#include "stages/stage.h"

namespace trawl {

// Each pipeline's stage reads the same history; it must not change meanwhile.
StageSpec kube_identity_stage(std::shared_ptr<const kube::NameHistory> history);

}  // namespace trawl
