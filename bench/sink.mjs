// An SMTP server that accepts every message and throws it away, for a machine without Postfix's
// smtp-sink (bench/run.mjs says which of the two it used). Its own process: the benchmarks time
// commands with spawnSync, which would stop a server in their event loop.
// smtp-server greets each new connection after 100 ms (early-talker detection, not an option):
// fine for invite's few connections, not for a client that connects once per message (the
// mailmerge row says so when this sink is used).
// Usage: node bench/sink.mjs PORT
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  // No reverse DNS lookup of each client.
  disableReverseLookup: true,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => callback());
  },
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'));
