// A "trap" proxy: the agent CLIs get it as HTTP(S)_PROXY / ALL_PROXY (with NO_PROXY for loopback),
// so any call they try to make outside the machine lands here. It records every request, CONNECT
// tunnel and upgrade it receives and refuses each with 403: nothing goes further.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TrappedRequest {
  kind: 'request' | 'connect' | 'upgrade';
  method: string;
  /** The absolute URL (plain HTTP through a proxy), or host:port (CONNECT). */
  target: string;
  host?: string;
  userAgent?: string;
  time: number;
}

export interface TrapProxy {
  url: string;
  port: number;
  trapped: TrappedRequest[];
  close(): Promise<void>;
}

export async function startTrapProxy(): Promise<TrapProxy> {
  const trapped: TrappedRequest[] = [];
  const sockets = new Set<Socket>();
  const trap = (kind: TrappedRequest['kind'], req: IncomingMessage) =>
    trapped.push({
      kind,
      method: req.method ?? '?',
      target: req.url ?? '',
      host: req.headers.host,
      userAgent: req.headers['user-agent'],
      time: Date.now(),
    });
  const server = createServer((req, res) => {
    trap('request', req);
    res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
    res.end('blocked by the test trap proxy\n');
  });
  const refuse = (kind: 'connect' | 'upgrade') => (req: IncomingMessage, socket: Socket) => {
    trap(kind, req);
    socket.on('error', () => {});
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  };
  server.on('connect', refuse('connect'));
  server.on('upgrade', refuse('upgrade'));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    trapped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
