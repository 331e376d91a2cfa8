// Waits until a descriptor opened without blocking (a pipe or terminal
// another program set so) can take more output: EAGAIN is not an error.
#pragma once

#include <poll.h>

namespace trawl {

inline void wait_writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  ::poll(&p, 1, -1);
}

}  // namespace trawl
