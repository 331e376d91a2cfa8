// A WebSocket server that gets the handshake wrong and a client that does not
// check it, as some hand-made servers and load tools do: the server's
// Sec-WebSocket-Accept is SHA-1 of the key without the RFC 6455 GUID, and the
// client, on Node's own HTTP client, goes on sending frames anyway. The frames
// are made and read by ws's Sender and Receiver.
//   node ws_lenient.js server HOST PORT
//   node ws_lenient.js client HOST PORT MESSAGE...
const http = require('http');
const crypto = require('crypto');
const { Sender, Receiver } = require('ws');

const frame = (text, mask, opcode = 1) =>
  Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode, mask, readOnly: false, rsv1: false }));

function serve(host, port) {
  const server = http.createServer((req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket) => {
    const wrong = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] || '').digest('base64');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                 `Sec-WebSocket-Accept: ${wrong}\r\n\r\n`);
    const receiver = new Receiver({ isServer: true });
    receiver.on('message', (data) => socket.write(frame(`echo: ${data}`, false)));
    receiver.on('conclude', () => socket.end(frame('', false, 8)));
    receiver.on('error', () => socket.destroy());
    socket.pipe(receiver);
  });
  server.listen(port, host, () => console.log('ready'));
}

function connect(host, port, messages) {
  const req = http.request({
    host, port, path: '/lenient',
    headers: {
      Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
    },
  });
  req.on('upgrade', (res, socket) => {
    const receiver = new Receiver({ isServer: false });
    let left = messages.length;
    receiver.on('message', (data) => {
      console.log(String(data));
      if (--left === 0) socket.write(frame('', true, 8));
    });
    receiver.on('conclude', () => socket.end());
    socket.pipe(receiver);
    for (const m of messages) socket.write(frame(m, true));
  });
  req.on('error', (e) => { console.error(e.message); process.exit(1); });
  req.end();
  setTimeout(() => { console.error('ws_lenient: no echo'); process.exit(1); }, 5000).unref();
}

const [mode, host, port, ...rest] = process.argv.slice(2);
if (mode === 'server') serve(host, Number(port));
else connect(host, Number(port), rest);
