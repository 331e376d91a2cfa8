// Small text helpers shared by dissectors and sinks.
#pragma once

#include <string>
#include <string_view>

namespace trawl {

bool is_valid_utf8(std::string_view s);
// Valid UTF-8 without control bytes other than tab and line breaks: text a person wrote.
bool is_printable_utf8(std::string_view s);
std::string base64_encode(std::string_view s);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);

}  // namespace trawl
