/**
 * Child tasks of the library's socket and TCP server tests (spec/library/sockets.test.ts,
 * tcp-server.test.ts). Children load compiled JavaScript only, and the build does not compile
 * spec/, so these are plain CommonJS: they run as they are, in the child and under Jest alike, and
 * use the compiled library (dist/src), as the bootstrap does.
 *
 * Each reports from inside the child, over the connection itself, so a test learns which process
 * really holds the connection without trusting the server's bookkeeping.
 */
/* global __dirname, Buffer -- CommonJS, Node */
const net = require('node:net');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', '..', 'dist');
const lib = require(path.join(DIST, 'src', 'index.js'));

/** A handler for TcpServer: the first line it sends is its own pid, then it is upperCaseEcho. */
async function reportPidThenEcho(socket) {
  socket.write(`${process.pid}\n`);
  await lib.upperCaseEcho(socket);
}

/** reportPidThenEcho that ignores SIGTERM: only SIGKILL ends it before its client closes. */
async function ignoreTermThenEcho(socket) {
  process.on('SIGTERM', () => {});
  await reportPidThenEcho(socket);
}

/** Writes `<label> <pid> <is a net.Socket>` and a newline to each socket, then ends it and waits for its close. */
async function sayWhoHolds(label, ...sockets) {
  await Promise.all(sockets.map((socket, i) => closeAfter(socket, `${label}[${i}] ${process.pid} ${socket instanceof net.Socket}\n`)));
}

/** The same, for sockets given among keyword arguments: `{ deep: { list: [socket, ...] } }`. */
async function sayWhoHoldsDeep(label, kwargs) {
  await sayWhoHolds(label, ...kwargs.deep.list);
}

/** Writes `text` and drops the socket without ending it (destroy()), then returns: the child exits. */
function sayAndDrop(socket, text) {
  socket.write(text, () => socket.destroy());
  return new Promise((resolve) => socket.once('close', resolve));
}

/** Reads until the client half-closes, then sends back how many bytes it got and what they were (hex), and ends. */
function countBytes(socket) {
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  return new Promise((resolve) => {
    socket.once('end', () => {
      const all = Buffer.concat(chunks);
      socket.end(`${all.length} ${all.toString('hex')}\n`);
    });
    socket.once('close', resolve);
  });
}

function closeAfter(socket, text) {
  return new Promise((resolve) => {
    socket.once('close', resolve);
    socket.on('error', () => {});
    socket.end(text);
  });
}

module.exports = { reportPidThenEcho, ignoreTermThenEcho, sayWhoHolds, sayWhoHoldsDeep, sayAndDrop, countBytes };
