// An amqplib client for the AMQP integration test: declares a topic exchange and
// queues, binds, publishes with properties on a confirm channel, gets, consumes,
// acks and nacks, meets an empty queue and a channel error, and cleans up; then
// declares 1,000 queues at once on as many channels.
// Usage: node amqp_client.js amqp://USER:PASS@HOST
const amqp = require('amqplib');

async function main(url) {
  const conn = await amqp.connect(url, {clientProperties: {connection_name: 'trawl-amqplib'}});
  const ch = await conn.createChannel();
  await ch.assertExchange('trawl.events', 'topic', {durable: false});
  await ch.assertQueue('trawl.orders', {durable: false, arguments: {'x-max-length': 100}});
  await ch.bindQueue('trawl.orders', 'trawl.events', 'order.*');
  await ch.assertQueue('trawl.big', {durable: false});
  await ch.prefetch(5);

  const confirm = await conn.createConfirmChannel();
  confirm.publish('trawl.events', 'order.created', Buffer.from(JSON.stringify({id: 1, item: 'book'})), {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: {'x-trace': 'abc123', 'x-attempt': 3},
    deliveryMode: 2,
    priority: 5,
    correlationId: 'corr-1',
    replyTo: 'trawl.replies',
    expiration: '60000',
    messageId: 'msg-1',
    timestamp: 1700000000,
    type: 'order',
    userId: 'guest',
    appId: 'trawl-test',
  });
  confirm.publish('trawl.events', 'order.paid', Buffer.from('second message'), {messageId: 'msg-2'});
  confirm.publish('trawl.events', 'order.cancelled', Buffer.from('third message'), {messageId: 'msg-3'});
  // Larger than frame_max (128 KiB): the body spans several body frames.
  confirm.sendToQueue('trawl.big', Buffer.from('B'.repeat(300000)), {messageId: 'msg-big'});
  await confirm.waitForConfirms();

  const first = await ch.get('trawl.orders');
  ch.ack(first);
  await new Promise((resolve) => {
    let seen = 0;
    ch.consume('trawl.orders', (msg) => {
      if (msg.properties.messageId === 'msg-2') ch.ack(msg);
      else ch.nack(msg, false, false);
      if (++seen === 2) resolve();
    }, {consumerTag: 'trawl-consumer'});
  });
  await ch.cancel('trawl-consumer');
  await ch.get('trawl.orders');  // now empty: basic.get-empty
  await ch.get('trawl.big', {noAck: true});

  const doomed = await conn.createChannel();
  doomed.on('error', () => {});
  await doomed.checkQueue('trawl.no-such-queue').catch(() => {});  // 404 NOT_FOUND

  await ch.deleteQueue('trawl.big');
  await ch.deleteQueue('trawl.orders');
  await ch.deleteExchange('trawl.events');
  await confirm.close();
  await ch.close();
  await conn.close();

  // A second connection with 1,000 channels that declare a queue each at
  // once: a thousand synchronous methods in flight before the first answer.
  const deep = await amqp.connect(url, {clientProperties: {connection_name: 'trawl-deep'}});
  const channels = await Promise.all(Array.from({length: 1000}, () => deep.createChannel()));
  await Promise.all(channels.map((c, i) => c.assertQueue('trawl.deep.' + i, {durable: false, autoDelete: true})));
  await deep.close();
}

main(process.argv[2]).catch((e) => {
  console.error('amqp_client:', e.message);
  process.exit(1);
});
