// The AMQP 0-9-1 classes and methods (with RabbitMQ's extensions): names,
// argument lists, and which methods wait for an answer.
#pragma once

#include <cstdint>
#include <string_view>

namespace trawl::amqp {

struct MethodSpec {
  uint16_t class_id, method_id;
  std::string_view name;  // "queue.declare"
  // Space-separated "type:name" arguments, types: octet short long longlong
  // shortstr longstr bit table timestamp.
  std::string_view arguments;
  // Methods answering this one ("queue.declare-ok"; several separated by '|');
  // empty for asynchronous methods and answers.
  std::string_view answers;
  bool content = false;  // followed by a content header and body frames
};

// Null for an unknown class/method pair.
const MethodSpec* find_method(uint16_t class_id, uint16_t method_id);

}  // namespace trawl::amqp
