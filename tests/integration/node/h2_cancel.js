// An HTTP/2 client (Node's http2, on nghttp2) that cancels a request the server
// answers at once, while a download holds the link: the answer, queued behind
// the download, crosses the client's RST_STREAM (CANCEL) on the wire, as
// browsers and DNS-over-HTTPS clients race.
//   node h2_cancel.js URL DOWNLOAD_PATH CANCELLED_PATH
const http2 = require('http2');
const [url, downloadPath, cancelledPath] = process.argv.slice(2);

const client = http2.connect(url);
client.on('error', (e) => { console.error(e.message); process.exit(1); });
const download = client.request({ ':path': downloadPath });
download.on('data', () => {});
download.once('response', () => {
  const cancelled = client.request({ ':path': cancelledPath });
  cancelled.on('error', () => {});
  cancelled.on('data', () => {});
  setTimeout(() => cancelled.close(http2.constants.NGHTTP2_CANCEL), 100);
});
download.on('end', () => client.close());
setTimeout(() => { console.error('h2_cancel: the download did not end'); process.exit(1); }, 10000).unref();
