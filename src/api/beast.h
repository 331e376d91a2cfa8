// Boost.Asio and Boost.Beast, with what their headers forget to include.
#pragma once

// clang-format off
#include <utility>  // Boost.Asio's awaitable.hpp uses std::exchange without including it
#include <boost/asio.hpp>
#include <boost/beast.hpp>
// clang-format on
