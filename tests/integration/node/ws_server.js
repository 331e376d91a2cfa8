// A WebSocket echo server (ws) with permessage-deflate on HOST:PORT.
const { WebSocketServer } = require('ws');
const [host, port] = [process.argv[2], Number(process.argv[3])];
const wss = new WebSocketServer({
  host,
  port,
  perMessageDeflate: { threshold: 0 },
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary, compress: true }));
});
wss.on('listening', () => console.log('ready'));
