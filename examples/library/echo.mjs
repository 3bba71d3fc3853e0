import { TcpServer, TcpClient } from 'mp-conformance-kit';

const server = await TcpServer.listen({ port: 0 }); // host 127.0.0.1 unless given; handler: upperCaseEcho
server.on('handlerStart', ({ pid, remotePort }) => console.log(`${pid} serves :${remotePort}`));
const client = await TcpClient.connect({ port: server.port });
console.log(await client.request('hello')); // HELLO
await client.finish(); // half-close; the handler ends with its client
await server.close(); // stop accepting, wait for every handler to end; { timeout: 0 } terminates them
