#include "protocols/amqp/amqp_methods.h"

namespace trawl::amqp {

namespace {

// AMQP 0-9-1 (amqp0-9-1.xml), argument names in camelCase as entry.md asks.
constexpr MethodSpec kMethods[] = {
    {10, 10, "connection.start",
     "octet:versionMajor octet:versionMinor table:serverProperties longstr:mechanisms "
     "longstr:locales",
     "connection.start-ok"},
    {10, 11, "connection.start-ok",
     "table:clientProperties shortstr:mechanism longstr:response shortstr:locale", ""},
    {10, 20, "connection.secure", "longstr:challenge", "connection.secure-ok"},
    {10, 21, "connection.secure-ok", "longstr:response", ""},
    {10, 30, "connection.tune", "short:channelMax long:frameMax short:heartbeat",
     "connection.tune-ok"},
    {10, 31, "connection.tune-ok", "short:channelMax long:frameMax short:heartbeat", ""},
    {10, 40, "connection.open", "shortstr:virtualHost shortstr:reserved1 bit:reserved2",
     "connection.open-ok"},
    {10, 41, "connection.open-ok", "shortstr:reserved1", ""},
    {10, 50, "connection.close", "short:replyCode shortstr:replyText short:classId short:methodId",
     "connection.close-ok"},
    {10, 51, "connection.close-ok", "", ""},
    {10, 60, "connection.blocked", "shortstr:reason", ""},
    {10, 61, "connection.unblocked", "", ""},
    {10, 70, "connection.update-secret", "longstr:newSecret shortstr:reason",
     "connection.update-secret-ok"},
    {10, 71, "connection.update-secret-ok", "", ""},
    {20, 10, "channel.open", "shortstr:reserved1", "channel.open-ok"},
    {20, 11, "channel.open-ok", "longstr:reserved1", ""},
    {20, 20, "channel.flow", "bit:active", "channel.flow-ok"},
    {20, 21, "channel.flow-ok", "bit:active", ""},
    {20, 40, "channel.close", "short:replyCode shortstr:replyText short:classId short:methodId",
     "channel.close-ok"},
    {20, 41, "channel.close-ok", "", ""},
    {40, 10, "exchange.declare",
     "short:reserved1 shortstr:exchange shortstr:type bit:passive bit:durable bit:autoDelete "
     "bit:internal bit:noWait table:arguments",
     "exchange.declare-ok"},
    {40, 11, "exchange.declare-ok", "", ""},
    {40, 20, "exchange.delete", "short:reserved1 shortstr:exchange bit:ifUnused bit:noWait",
     "exchange.delete-ok"},
    {40, 21, "exchange.delete-ok", "", ""},
    {40, 30, "exchange.bind",
     "short:reserved1 shortstr:destination shortstr:source shortstr:routingKey bit:noWait "
     "table:arguments",
     "exchange.bind-ok"},
    {40, 31, "exchange.bind-ok", "", ""},
    {40, 40, "exchange.unbind",
     "short:reserved1 shortstr:destination shortstr:source shortstr:routingKey bit:noWait "
     "table:arguments",
     "exchange.unbind-ok"},
    {40, 51, "exchange.unbind-ok", "", ""},
    {50, 10, "queue.declare",
     "short:reserved1 shortstr:queue bit:passive bit:durable bit:exclusive bit:autoDelete "
     "bit:noWait table:arguments",
     "queue.declare-ok"},
    {50, 11, "queue.declare-ok", "shortstr:queue long:messageCount long:consumerCount", ""},
    {50, 20, "queue.bind",
     "short:reserved1 shortstr:queue shortstr:exchange shortstr:routingKey bit:noWait "
     "table:arguments",
     "queue.bind-ok"},
    {50, 21, "queue.bind-ok", "", ""},
    {50, 30, "queue.purge", "short:reserved1 shortstr:queue bit:noWait", "queue.purge-ok"},
    {50, 31, "queue.purge-ok", "long:messageCount", ""},
    {50, 40, "queue.delete", "short:reserved1 shortstr:queue bit:ifUnused bit:ifEmpty bit:noWait",
     "queue.delete-ok"},
    {50, 41, "queue.delete-ok", "long:messageCount", ""},
    {50, 50, "queue.unbind",
     "short:reserved1 shortstr:queue shortstr:exchange shortstr:routingKey table:arguments",
     "queue.unbind-ok"},
    {50, 51, "queue.unbind-ok", "", ""},
    {60, 10, "basic.qos", "long:prefetchSize short:prefetchCount bit:global", "basic.qos-ok"},
    {60, 11, "basic.qos-ok", "", ""},
    {60, 20, "basic.consume",
     "short:reserved1 shortstr:queue shortstr:consumerTag bit:noLocal bit:noAck bit:exclusive "
     "bit:noWait table:arguments",
     "basic.consume-ok"},
    {60, 21, "basic.consume-ok", "shortstr:consumerTag", ""},
    {60, 30, "basic.cancel", "shortstr:consumerTag bit:noWait", "basic.cancel-ok"},
    {60, 31, "basic.cancel-ok", "shortstr:consumerTag", ""},
    {60, 40, "basic.publish",
     "short:reserved1 shortstr:exchange shortstr:routingKey bit:mandatory bit:immediate", "", true},
    {60, 50, "basic.return",
     "short:replyCode shortstr:replyText shortstr:exchange shortstr:routingKey", "", true},
    {60, 60, "basic.deliver",
     "shortstr:consumerTag longlong:deliveryTag bit:redelivered shortstr:exchange "
     "shortstr:routingKey",
     "", true},
    {60, 70, "basic.get", "short:reserved1 shortstr:queue bit:noAck",
     "basic.get-ok|basic.get-empty"},
    {60, 71, "basic.get-ok",
     "longlong:deliveryTag bit:redelivered shortstr:exchange shortstr:routingKey long:messageCount",
     "", true},
    {60, 72, "basic.get-empty", "shortstr:reserved1", ""},
    {60, 80, "basic.ack", "longlong:deliveryTag bit:multiple", ""},
    {60, 90, "basic.reject", "longlong:deliveryTag bit:requeue", ""},
    {60, 100, "basic.recover-async", "bit:requeue", ""},
    {60, 110, "basic.recover", "bit:requeue", "basic.recover-ok"},
    {60, 111, "basic.recover-ok", "", ""},
    {60, 120, "basic.nack", "longlong:deliveryTag bit:multiple bit:requeue", ""},
    {85, 10, "confirm.select", "bit:noWait", "confirm.select-ok"},
    {85, 11, "confirm.select-ok", "", ""},
    {90, 10, "tx.select", "", "tx.select-ok"},
    {90, 20, "tx.commit", "", "tx.commit-ok"},
    {90, 11, "tx.select-ok", "", ""},
    {90, 21, "tx.commit-ok", "", ""},
    {90, 30, "tx.rollback", "", "tx.rollback-ok"},
    {90, 31, "tx.rollback-ok", "", ""},
};

}  // namespace

const MethodSpec* find_method(uint16_t class_id, uint16_t method_id) {
  for (const auto& m : kMethods)
    if (m.class_id == class_id && m.method_id == method_id) return &m;
  return nullptr;
}

}  // namespace trawl::amqp
