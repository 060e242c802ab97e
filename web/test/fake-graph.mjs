// A stand-in for Meta's Graph API for the browser tests (scripts/web-test.sh starts it before
// the demo server and passes its URL as GRAPH_API_BASE_URL): a phone number lookup answers for
// any number (so a brand's WhatsApp settings can be saved), and every message send succeeds.
// Prints "fake graph on http://127.0.0.1:PORT" once listening; runs until killed.
import { createServer } from "node:http";

let sent = 0;
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  req.resume();
  req.on("end", () => {
    const number = /^\/v\d+\.\d+\/(\d+)$/.exec(path);
    if (req.method === "GET" && number) return reply(200, { id: number[1], display_phone_number: "+1 555-010-0001" });
    if (req.method === "POST" && /^\/v\d+\.\d+\/\d+\/messages$/.test(path)) {
      sent += 1;
      return reply(200, { messaging_product: "whatsapp", contacts: [{ input: "x", wa_id: "x" }], messages: [{ id: `wamid.FAKE${sent}` }] });
    }
    reply(404, { error: { message: `no such fake endpoint: ${req.method} ${path}`, type: "GraphMethodException", code: 100 } });
  });
});
server.listen(0, "127.0.0.1", () => console.log(`fake graph on http://127.0.0.1:${server.address().port}`));
