// Drives the echo server: text, binary, a fragmented message, a compressed one,
// ping/pong and a close with a code. Waits for each echo before the next step.
const WebSocket = require('ws');
const url = process.argv[2];
const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
const steps = [
  () => ws.send('hello trawl', { compress: false }),
  () => ws.send(Buffer.from([0, 1, 2, 3, 254, 255]), { binary: true, compress: false }),
  () => {
    // One message in three frames; a ping between them.
    ws.send('frag-', { fin: false, compress: false });
    ws.ping('between fragments');
    ws.send('men', { fin: false, compress: false });
    ws.send('ted', { fin: true, compress: false });
  },
  () => ws.send('compressed '.repeat(20), { compress: true }),
  () => ws.ping('are you there'),
  () => ws.close(4001, 'done testing'),
];
let step = 0;
const next = () => {
  if (step < steps.length) steps[step++]();
};
ws.on('open', next);
ws.on('message', next);
ws.on('pong', () => {
  if (step === 5) next();
});
ws.on('close', () => process.exit(0));
setTimeout(() => process.exit(1), 5000);
